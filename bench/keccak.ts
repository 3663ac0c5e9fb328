/**
 * keccak256 of 64-byte inputs (the tree's node hash): the module specialised for that size
 * (client/protocol/keccak-wasm.ts, through keccak256Pairs) against hash-wasm's general keccak called once per
 * input, as the tree did before. Prints microseconds per hash, best and median of 5 runs; asserts nothing
 * beyond both giving the same digests.
 *
 *   npx tsx bench/keccak.ts [--count 1000000]
 */
import { parseArgs } from 'node:util';
import { createKeccak } from 'hash-wasm';
import { keccak256Pairs } from '../client/protocol/keccak-batch.ts';

const { values } = parseArgs({ options: { count: { type: 'string', default: '1000000' } } });
const count = Number(values.count);
const input = new Uint8Array(64 * count);
for (let i = 0; i < input.length; i++) input[i] = (i * 131 + (i >> 11)) & 0xff;
const specialised = new Uint8Array(32 * count);
const general = new Uint8Array(32 * count);
const hasher = await createKeccak(256);

const runs = (f: () => void): number[] =>
  Array.from({ length: 5 }, () => {
    const start = performance.now();
    f();
    return ((performance.now() - start) * 1000) / count;
  }).sort((a, b) => a - b);

const fast = runs(() => keccak256Pairs(input, specialised, count));
const slow = runs(() => {
  for (let k = 0; k < count; k++) {
    hasher.init();
    hasher.update(input.subarray(64 * k, 64 * k + 64));
    general.set(hasher.digest('binary'), 32 * k);
  }
});
if (Buffer.compare(Buffer.from(specialised), Buffer.from(general)) !== 0) throw new Error('the two keccaks disagree');
const show = (xs: number[]) => `best ${xs[0]!.toFixed(3)} µs, median ${xs[2]!.toFixed(3)} µs per hash`;
console.log(`keccak256 of ${count} 64-byte inputs`);
console.log(`  specialised module (keccak256Pairs): ${show(fast)}`);
console.log(`  hash-wasm, one call per input:       ${show(slow)}`);
console.log(`  ratio (median): ${(slow[2]! / fast[2]!).toFixed(2)}×`);
