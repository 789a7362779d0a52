import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { causalAttention } from '../workers/models/sequence/attention';
import { attentionLoops, forceAttentionLoops } from '../workers/models/sequence/attention-loops';
import { mulberry32 } from '../common/random';

before(async () => {
  await tf.setBackend('cpu');
  await tf.ready();
});
after(() => {
  forceAttentionLoops(undefined);
});

interface Case {
  B: number;
  L: number;
  D: number;
  H: number;
  lengths: number[];
  rate: number;
  bias: boolean;
}

/** Output, last-position attention and the gradients of q, k, v (and the bias) under the current loops. */
function run(c: Case, seed: number): { out: Float32Array; last: Float32Array; grads: Float32Array[] } {
  const { B, L, D, H } = c;
  const lengths = Int32Array.from(c.lengths);
  const [q, k, v, w] = [1, 2, 3, 4].map((s) => tf.randomNormal([B, L, D], 0, 1, 'float32', seed + s)) as [
    tf.Tensor,
    tf.Tensor,
    tf.Tensor,
    tf.Tensor,
  ];
  const rb = tf.randomNormal([H, L + 2], 0, 1, 'float32', seed + 5);
  const dropout = c.rate > 0 ? { rate: c.rate, random: mulberry32(seed) } : undefined;
  const first = causalAttention(q, k, v, lengths, H, true, dropout, c.bias ? rb : undefined);
  const out = first.out.dataSync() as Float32Array;
  const attend = (a: tf.Tensor, b: tf.Tensor, x: tf.Tensor, r?: tf.Tensor): tf.Tensor =>
    tf.sum(
      tf.mul(causalAttention(a, b, x, lengths, H, false, c.rate > 0 ? { rate: c.rate, random: mulberry32(seed) } : undefined, r).out, w),
    );
  const grads = tf
    .grads(attend)(c.bias ? [q, k, v, rb] : [q, k, v])
    .map((g) => g.dataSync() as Float32Array);
  return { out, last: first.lastAttention as Float32Array, grads };
}

const maxDiff = (a: Float32Array, b: Float32Array): number => {
  assert.equal(a.length, b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs((a[i] as number) - (b[i] as number)));
  return m;
};

test("the WASM SIMD attention loops compile here and give the JS loops' outputs and gradients (padding, heads, bias, dropout)", () => {
  assert.equal(forceAttentionLoops(undefined), true, 'attention.wat did not compile in Node');
  assert.equal(attentionLoops(64).kind, 'simd');
  assert.equal(attentionLoops(6).kind, 'js', 'a head width that is not a multiple of 4 falls back to JS');
  const cases: Case[] = [
    { B: 3, L: 7, D: 8, H: 2, lengths: [7, 4, 1], rate: 0, bias: false },
    { B: 2, L: 9, D: 12, H: 3, lengths: [9, 0], rate: 0.25, bias: true },
    { B: 2, L: 33, D: 64, H: 1, lengths: [33, 17], rate: 0.1, bias: true },
    { B: 1, L: 1, D: 16, H: 2, lengths: [1], rate: 0, bias: true },
  ];
  cases.forEach((c, n) => {
    const before = tf.memory().numTensors;
    forceAttentionLoops(undefined);
    const simd = tf.tidy(() => run(c, 10 * n));
    forceAttentionLoops('js');
    const js = tf.tidy(() => run(c, 10 * n));
    forceAttentionLoops(undefined);
    assert.equal(tf.memory().numTensors, before, `case ${n}: no tensor leaks`);
    const scale = Math.max(1, ...js.out.map(Math.abs));
    assert.ok(maxDiff(simd.out, js.out) < 1e-5 * scale, `case ${n}: output`);
    assert.ok(maxDiff(simd.last, js.last) < 1e-6, `case ${n}: last-position attention`);
    js.grads.forEach((g, i) => assert.ok(maxDiff(simd.grads[i] as Float32Array, g) < 1e-4, `case ${n}: gradient ${i}`));
    // padding rows stay zero, and an empty row has no output at all
    c.lengths.forEach((len, b) => {
      for (let i = 0; i < c.L - len; i++) for (let d = 0; d < c.D; d++) assert.equal(simd.out[(b * c.L + i) * c.D + d], 0);
    });
  });
});

test('the loops work on one shared heap: a larger call after a smaller one, and back, gives the same results as fresh', () => {
  const small: Case = { B: 2, L: 5, D: 8, H: 1, lengths: [5, 2], rate: 0, bias: true };
  const large: Case = { B: 4, L: 40, D: 32, H: 2, lengths: [40, 39, 12, 3], rate: 0.2, bias: true };
  const first = tf.tidy(() => run(small, 1));
  tf.tidy(() => run(large, 2));
  const again = tf.tidy(() => run(small, 1));
  assert.equal(maxDiff(first.out, again.out), 0);
  first.grads.forEach((g, i) => assert.equal(maxDiff(g, again.grads[i] as Float32Array), 0));
});
