import t from 'tap';
import { concat, keccak256 as ethersKeccak } from 'ethers';
import { bytesToHex, keccak256, keccak256Pair } from '../../../client/protocol/index.ts';
import { keccak256Into } from '../../../client/protocol/keccak.ts';
import { keccak256Pairs } from '../../../client/protocol/keccak-batch.ts';
import { rng } from './fixtures/helpers.ts';

t.test('keccak256 equals ethers for inputs of every length 0..300', async (t) => {
  const random = rng(1);
  for (let length = 0; length <= 300; length++) {
    const data = random.bytes(length);
    if (bytesToHex(keccak256(data)) !== ethersKeccak(data)) t.fail(`mismatch at length ${length}`);
  }
  t.equal(bytesToHex(keccak256(new Uint8Array())), '0xc5d2460186f7233c927e7db2dcc703c0e500b653ca82273b7bfad8045d85a470');
});

t.test('keccak256Pair hashes left ‖ right', async (t) => {
  const random = rng(2);
  for (let i = 0; i < 100; i++) {
    const left = random.bytes(32);
    const right = random.bytes(32);
    t.equal(bytesToHex(keccak256Pair(left, right)), ethersKeccak(concat([left, right])));
  }
});

t.test('keccak256Into hashes 64 bytes at an offset and writes at an offset', async (t) => {
  const source = rng(3).bytes(200);
  const target = new Uint8Array(100).fill(7);
  keccak256Into(source, 37, target, 50);
  t.equal(bytesToHex(target.subarray(50, 82)), ethersKeccak(source.subarray(37, 101)));
  t.ok(target.subarray(0, 50).every((byte) => byte === 7), 'bytes before the output are untouched');
  t.ok(target.subarray(82).every((byte) => byte === 7), 'bytes after the output are untouched');
});

t.test('keccak256Pairs hashes consecutive 64-byte inputs, across several chunks', async (t) => {
  const count = 40_000; // > one WASM chunk (32,768)
  const input = rng(4).bytes(64 * count + 64).subarray(64); // a view at an offset
  const output = new Uint8Array(32 * count);
  keccak256Pairs(input, output, count);
  let wrong = -1;
  for (let k = 0; k < count && wrong < 0; k++) {
    if (bytesToHex(output.subarray(32 * k, 32 * k + 32)) !== ethersKeccak(input.subarray(64 * k, 64 * k + 64))) wrong = k;
  }
  t.equal(wrong, -1, 'every digest equals ethers');
  t.throws(() => keccak256Pairs(input, output, count + 1), RangeError);
});

t.test('the 64-byte keccak module equals the general one on edge inputs (all zero, all ones, one bit)', async (t) => {
  const inputs = [new Uint8Array(64), new Uint8Array(64).fill(0xff)];
  for (const bit of [0, 7, 63, 64, 255, 511]) {
    const input = new Uint8Array(64);
    input[bit >> 3] = 1 << (bit & 7);
    inputs.push(input);
  }
  const output = new Uint8Array(32 * inputs.length);
  keccak256Pairs(new Uint8Array(inputs.flatMap((input) => [...input])), output, inputs.length);
  inputs.forEach((input, k) => t.equal(bytesToHex(output.subarray(32 * k, 32 * k + 32)), bytesToHex(keccak256(input))));
  t.equal(bytesToHex(keccak256Pair(new Uint8Array(32), new Uint8Array(32))), '0xad3228b676f7d3cd4284a5443f17f1962b36e491b30a40b2405849e597ba5fb5', 'default[1] of §3');
});
