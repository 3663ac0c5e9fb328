/**
 * The one Node global client/protocol uses, for the browser: `Buffer.from(bytes…).toString('hex')` (hex.ts) and
 * `Buffer.from(text, 'latin1')` (keccak-wasm.ts). esbuild injects this wherever the bundle names `Buffer`; the
 * protocol code itself is bundled unchanged.
 */
class ShimBuffer extends Uint8Array {
  override toString(encoding?: string): string {
    if (encoding !== 'hex') throw new Error(`Buffer shim: only hex is supported, not ${encoding}`);
    let out = '';
    for (let i = 0; i < this.length; i++) out += HEX[this[i]!];
    return out;
  }
}

const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));

export const Buffer = {
  from(source: ArrayBufferLike | string, offsetOrEncoding?: number | string, length?: number): ShimBuffer {
    if (typeof source === 'string') {
      if (offsetOrEncoding !== 'latin1') throw new Error('Buffer shim: strings only as latin1');
      return ShimBuffer.from(source, (c) => c.charCodeAt(0) & 0xff) as ShimBuffer;
    }
    return new ShimBuffer(source as ArrayBuffer, typeof offsetOrEncoding === 'number' ? offsetOrEncoding : 0, length);
  },
};
