import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { before, test } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { readModelDir, writeModelDir } from '../training/model-dir';
import { TastebudError } from '../common/errors';
import { causalAttention } from '../workers/models/sequence/attention';
import { VOCAB_FILE, WEIGHTS_FILE, decodeWeights, encodeWeights } from '../common/model-format/sequence';
import { loadSequenceModel } from '../training/sequence/trained-model';
import { gatherRows, type LaterTargets, matMulT, sampledSoftmaxCrossEntropy, softmaxCrossEntropy } from '../workers/models/sequence/ops';
import { initParams as initSasrecParams, paramShapes as sasrecParamShapes } from '../training/sequence/model';
import { type ParamMap, type SasrecConfig, sasrecForward } from '../workers/models/sequence/sasrec';
import {
  type Batch,
  applyWeightDecay,
  decayedParams,
  laterTargetWeights,
  makeBatches,
  randomWindow,
  scheduledLr,
  trainSequenceModel,
} from '../training/sequence/train';
import { mulberry32 } from '../common/random';
import { shardBatch } from '../training/sequence/data-parallel';
import { scoreHistories } from '../training/sequence/infer';
import { cycle } from './sequence-fixtures';

before(async () => {
  await tf.setBackend('cpu');
  await tf.ready();
});

const maxAbs = (a: tf.Tensor, b: tf.Tensor): number => tf.tidy(() => tf.abs(tf.sub(a, b)).max().dataSync()[0] as number);
/** Root mean square of a parameter's values (its std, for zero-mean initialisations). */
const rms = (params: ParamMap, name: string): number => {
  const w = (params.get(name) as tf.Variable).dataSync() as Float32Array;
  return Math.sqrt(w.reduce((acc, x) => acc + x * x, 0) / w.length);
};

/** [B, L, D] → [B, H, L, D / H]: the heads as column blocks of D, as the kernel reads them. */
const splitHeads = (t: tf.Tensor, H: number): tf.Tensor4D => {
  const [B, L, D] = t.shape as [number, number, number];
  return tf.transpose(t.reshape([B, L, H, D / H]), [0, 2, 1, 3]) as tf.Tensor4D;
};
/** [B, L, L]: 1 where query i of row b sees key j (o ≤ j ≤ i, o = the row's first real position), else 0. */
function visibleKeys(B: number, L: number, lengths: Int32Array): Float32Array {
  const visible = new Float32Array(B * L * L);
  for (let b = 0; b < B; b++) {
    const o = L - (lengths[b] as number);
    for (let i = o; i < L; i++) for (let j = o; j <= i; j++) visible[(b * L + i) * L + j] = 1;
  }
  return visible;
}
/** [B, H, L, L] keep mask (1 / (1 − rate) or 0) replaying the kernel's documented draw order: row, head, query, visible key. */
function replayedKeepMask(B: number, H: number, L: number, lengths: Int32Array, rate: number, random: () => number): Float32Array {
  const mask = new Float32Array(B * H * L * L);
  for (let b = 0; b < B; b++) {
    const o = L - (lengths[b] as number);
    for (let h = 0; h < H; h++)
      for (let i = o; i < L; i++) for (let j = o; j <= i; j++) mask[((b * H + h) * L + i) * L + j] = random() >= rate ? 1 / (1 - rate) : 0;
  }
  return mask;
}
/** Index h·R + (i − j) into a flattened [H, R] relative bias for every (head, query, key); above the diagonal it is masked anyway. */
function distanceIndex(H: number, L: number, R: number): Int32Array {
  const distance = new Int32Array(H * L * L);
  for (let h = 0; h < H; h++)
    for (let i = 0; i < L; i++) for (let j = 0; j < L; j++) distance[(h * L + i) * L + j] = h * R + Math.max(0, i - j);
  return distance;
}
/** The softmax reference's additive mask (−1e9 off the visible keys, [B, 1, L, L]) and real-row mask ([B, L, 1]). */
function softmaxMasks(B: number, L: number, lengths: Int32Array): { padBias: tf.Tensor; rowMask: tf.Tensor } {
  const visible = visibleKeys(B, L, lengths);
  const rowMask = new Float32Array(B * L);
  for (let r = 0; r < B * L; r++) rowMask[r] = visible[r * L + (r % L)] as number;
  return {
    padBias: tf.tensor(
      visible.map((x) => (x ? 0 : -1e9)),
      [B, 1, L, L],
    ),
    rowMask: tf.tensor(rowMask, [B, L, 1]),
  };
}

test('causal attention matches a tfjs reference, forward and gradients', () => {
  const B = 2,
    L = 5,
    D = 8,
    H = 2,
    dh = D / H;
  const lengths = Int32Array.from([5, 3]);
  const [q, k, v, w] = [1, 2, 3, 4].map((s) => tf.randomNormal([B, L, D], 0, 1, 'float32', s)) as [
    tf.Tensor,
    tf.Tensor,
    tf.Tensor,
    tf.Tensor,
  ];
  const { padBias, rowMask } = softmaxMasks(B, L, lengths);
  const ref = (a: tf.Tensor, bb: tf.Tensor, c: tf.Tensor): tf.Tensor => {
    const p = tf.softmax(tf.add(tf.mul(tf.matMul(splitHeads(a, H), splitHeads(bb, H), false, true), 1 / Math.sqrt(dh)), padBias));
    return tf.mul(tf.transpose(tf.matMul(p as tf.Tensor4D, splitHeads(c, H)), [0, 2, 1, 3]).reshape([B, L, D]), rowMask);
  };
  const mine = causalAttention(q, k, v, lengths, H, true);
  assert.ok(maxAbs(mine.out, ref(q, k, v)) < 1e-5);
  const last = mine.lastAttention as Float32Array;
  assert.ok(Math.abs(last.slice(0, 5).reduce((s, x) => s + x, 0) - 1) < 1e-5);
  assert.deepEqual([...last.slice(5, 7)], [0, 0]); // padding of row 2
  const g1 = tf.grads((a: tf.Tensor, bb: tf.Tensor, c: tf.Tensor) => tf.sum(tf.mul(causalAttention(a, bb, c, lengths, H).out, w)))([
    q,
    k,
    v,
  ]);
  const g2 = tf.grads((a: tf.Tensor, bb: tf.Tensor, c: tf.Tensor) => tf.sum(tf.mul(ref(a, bb, c), w)))([q, k, v]);
  g1.forEach((g, i) => assert.ok(maxAbs(g, g2[i] as tf.Tensor) < 1e-4, `grad ${i}`));
});

test('attention-weight dropout: same mask as a tfjs reference, forward and gradients; off at rate 0', () => {
  const B = 2,
    L = 6,
    D = 8,
    H = 2,
    dh = D / H,
    rate = 0.3;
  const lengths = Int32Array.from([6, 4]);
  const [q, k, v, w] = [5, 6, 7, 8].map((s) => tf.randomNormal([B, L, D], 0, 1, 'float32', s)) as [
    tf.Tensor,
    tf.Tensor,
    tf.Tensor,
    tf.Tensor,
  ];
  // replay the documented draw order (row, head, query, visible key) to build the reference's mask
  const mask = replayedKeepMask(B, H, L, lengths, rate, mulberry32(11));
  const visibleCount = H * visibleKeys(B, L, lengths).reduce((x, y) => x + y, 0);
  const dropped = visibleCount - mask.filter((m) => m > 0).length;
  assert.ok(dropped > 0, 'the seed drops some weights');
  const { padBias, rowMask } = softmaxMasks(B, L, lengths);
  const ref = (a: tf.Tensor, bb: tf.Tensor, c: tf.Tensor): tf.Tensor => {
    const p = tf.softmax(tf.add(tf.mul(tf.matMul(splitHeads(a, H), splitHeads(bb, H), false, true), 1 / Math.sqrt(dh)), padBias));
    const pm = tf.mul(p, tf.tensor(mask, [B, H, L, L])) as tf.Tensor4D;
    return tf.mul(tf.transpose(tf.matMul(pm, splitHeads(c, H)), [0, 2, 1, 3]).reshape([B, L, D]), rowMask);
  };
  const mine = (a: tf.Tensor, bb: tf.Tensor, c: tf.Tensor): tf.Tensor =>
    causalAttention(a, bb, c, lengths, H, false, { rate, random: mulberry32(11) }).out;
  assert.ok(maxAbs(mine(q, k, v), ref(q, k, v)) < 1e-5);
  assert.ok(maxAbs(mine(q, k, v), causalAttention(q, k, v, lengths, H).out) > 1e-2, 'dropout changes the output');
  assert.ok(
    maxAbs(
      causalAttention(q, k, v, lengths, H, false, { rate: 0, random: mulberry32(11) }).out,
      causalAttention(q, k, v, lengths, H).out,
    ) === 0,
  );
  const g1 = tf.grads((a: tf.Tensor, bb: tf.Tensor, c: tf.Tensor) => tf.sum(tf.mul(mine(a, bb, c), w)))([q, k, v]);
  const g2 = tf.grads((a: tf.Tensor, bb: tf.Tensor, c: tf.Tensor) => tf.sum(tf.mul(ref(a, bb, c), w)))([q, k, v]);
  g1.forEach((g, i) => assert.ok(maxAbs(g, g2[i] as tf.Tensor) < 1e-4, `grad ${i}`));
});

test('relative attention bias: a learned logit bias per head and distance matches a tfjs reference, forward and gradients (with dropout)', () => {
  const B = 2,
    L = 6,
    D = 8,
    H = 2,
    dh = D / H,
    R = 7,
    rate = 0.2;
  const lengths = Int32Array.from([6, 3]);
  const [q, k, v, w] = [9, 10, 11, 12].map((s) => tf.randomNormal([B, L, D], 0, 1, 'float32', s)) as [
    tf.Tensor,
    tf.Tensor,
    tf.Tensor,
    tf.Tensor,
  ];
  const relBias = tf.randomNormal([H, R], 0, 1, 'float32', 13);
  const mask = replayedKeepMask(B, H, L, lengths, rate, mulberry32(5));
  const { padBias, rowMask } = softmaxMasks(B, L, lengths);
  const distance = distanceIndex(H, L, R);
  const ref = (a: tf.Tensor, bb: tf.Tensor, c: tf.Tensor, rb: tf.Tensor): tf.Tensor => {
    const rel = tf.gather(rb.reshape([H * R]), tf.tensor1d(distance, 'int32')).reshape([1, H, L, L]);
    const logits = tf.add(tf.add(tf.mul(tf.matMul(splitHeads(a, H), splitHeads(bb, H), false, true), 1 / Math.sqrt(dh)), rel), padBias);
    const pm = tf.mul(tf.softmax(logits), tf.tensor(mask, [B, H, L, L])) as tf.Tensor4D;
    return tf.mul(tf.transpose(tf.matMul(pm, splitHeads(c, H)), [0, 2, 1, 3]).reshape([B, L, D]), rowMask);
  };
  const mine = (a: tf.Tensor, bb: tf.Tensor, c: tf.Tensor, rb: tf.Tensor): tf.Tensor =>
    causalAttention(a, bb, c, lengths, H, false, { rate, random: mulberry32(5) }, rb).out;
  assert.ok(maxAbs(mine(q, k, v, relBias), ref(q, k, v, relBias)) < 1e-5);
  const zero = tf.zeros([H, R]);
  const noBias = (a: tf.Tensor, bb: tf.Tensor, c: tf.Tensor): tf.Tensor =>
    causalAttention(a, bb, c, lengths, H, false, { rate, random: mulberry32(5) }).out;
  assert.equal(maxAbs(mine(q, k, v, zero), noBias(q, k, v)), 0, 'a zero bias is the plain attention');
  assert.ok(maxAbs(mine(q, k, v, relBias), noBias(q, k, v)) > 1e-2, 'the bias changes the output');
  const g1 = tf.grads((a: tf.Tensor, bb: tf.Tensor, c: tf.Tensor, rb: tf.Tensor) => tf.sum(tf.mul(mine(a, bb, c, rb), w)))([
    q,
    k,
    v,
    relBias,
  ]);
  const g2 = tf.grads((a: tf.Tensor, bb: tf.Tensor, c: tf.Tensor, rb: tf.Tensor) => tf.sum(tf.mul(ref(a, bb, c, rb), w)))([
    q,
    k,
    v,
    relBias,
  ]);
  g1.forEach((g, i) => assert.ok(maxAbs(g, g2[i] as tf.Tensor) < 1e-4, `grad ${i}`));
  const unused = (g1[3] as tf.Tensor)
    .slice([0, L], [H, R - L])
    .abs()
    .max()
    .dataSync()[0];
  assert.equal(unused, 0, 'distances beyond the sequence get no gradient');
  assert.throws(() => causalAttention(q, k, v, lengths, H, false, undefined, tf.zeros([H, L - 1])), /relative bias must be \[2, ≥ 6\]/);
});

test('pointwise SiLU attention (HSTU): silu(logit + bias) / n or / visible keys, unnormalised, matches a tfjs reference, forward and gradients (with dropout)', () => {
  const B = 2,
    L = 6,
    D = 8,
    H = 2,
    dh = D / H,
    R = 7,
    rate = 0.2,
    n = 9;
  const lengths = Int32Array.from([6, 3]);
  const [q, k, v, w] = [21, 22, 23, 24].map((s) => tf.randomNormal([B, L, D], 0, 1, 'float32', s)) as [
    tf.Tensor,
    tf.Tensor,
    tf.Tensor,
    tf.Tensor,
  ];
  const relBias = tf.randomNormal([H, R], 0, 1, 'float32', 25);
  const mask = replayedKeepMask(B, H, L, lengths, rate, mulberry32(7));
  const visible = tf.tensor(visibleKeys(B, L, lengths), [B, 1, L, L]);
  const distance = distanceIndex(H, L, R);
  // silu(logit [+ bias]) · rowWeight on the visible keys, times the keep mask when given; padding rows and
  // keys, and keys after the query, get weight 0 (no softmax here, so the visible mask multiplies)
  const reference =
    (rowWeight: tf.Tensor, keep: Float32Array | null) =>
    (a: tf.Tensor, bb: tf.Tensor, c: tf.Tensor, rb?: tf.Tensor): tf.Tensor => {
      let logits = tf.mul(tf.matMul(splitHeads(a, H), splitHeads(bb, H), false, true), 1 / Math.sqrt(dh));
      if (rb) logits = tf.add(logits, tf.gather(rb.reshape([H * R]), tf.tensor1d(distance, 'int32')).reshape([1, H, L, L]));
      let weights = tf.mul(tf.mul(tf.mul(logits, tf.sigmoid(logits)), rowWeight), visible);
      if (keep) weights = tf.mul(weights, tf.tensor(keep, [B, H, L, L]));
      return tf.transpose(tf.matMul(weights as tf.Tensor4D, splitHeads(c, H)), [0, 2, 1, 3]).reshape([B, L, D]);
    };
  const ref = reference(tf.scalar(1 / n), mask);
  const silu = { kind: 'silu', normaliser: n } as const;
  const mine = (a: tf.Tensor, bb: tf.Tensor, c: tf.Tensor, rb: tf.Tensor): tf.Tensor =>
    causalAttention(a, bb, c, lengths, H, false, { rate, random: mulberry32(7) }, rb, silu).out;
  assert.ok(maxAbs(mine(q, k, v, relBias), ref(q, k, v, relBias)) < 1e-5);
  const softmax = causalAttention(q, k, v, lengths, H, false, { rate, random: mulberry32(7) }, relBias).out;
  assert.ok(maxAbs(mine(q, k, v, relBias), softmax) > 1e-2, 'not the softmax attention');
  const g1 = tf.grads((a: tf.Tensor, bb: tf.Tensor, c: tf.Tensor, rb: tf.Tensor) => tf.sum(tf.mul(mine(a, bb, c, rb), w)))([
    q,
    k,
    v,
    relBias,
  ]);
  const g2 = tf.grads((a: tf.Tensor, bb: tf.Tensor, c: tf.Tensor, rb: tf.Tensor) => tf.sum(tf.mul(ref(a, bb, c, rb), w)))([
    q,
    k,
    v,
    relBias,
  ]);
  g1.forEach((g, i) => assert.ok(maxAbs(g, g2[i] as tf.Tensor) < 1e-4, `grad ${i}`));
  // without dropout and bias too; the last position's weights are reported unnormalised
  const plain = causalAttention(q, k, v, lengths, H, true, undefined, undefined, silu);
  const last = plain.lastAttention as Float32Array;
  const lastSum = last.slice(0, L).reduce((x, y) => x + y, 0);
  assert.ok(Math.abs(lastSum - 1) > 1e-3, 'pointwise weights need not sum to 1');
  // 'silu-mean': the same with 1 / (visible keys) per query (i − o + 1) instead of a constant 1 / n
  const counts = new Float32Array(B * L);
  for (let b = 0; b < B; b++) for (let i = L - (lengths[b] as number); i < L; i++) counts[b * L + i] = i - (L - (lengths[b] as number)) + 1;
  const refMean = reference(
    tf.tensor(
      counts.map((c) => (c > 0 ? 1 / c : 0)),
      [B, 1, L, 1],
    ),
    null,
  );
  const mean = (a: tf.Tensor, bb: tf.Tensor, c: tf.Tensor): tf.Tensor =>
    causalAttention(a, bb, c, lengths, H, false, undefined, undefined, { kind: 'silu-mean' }).out;
  assert.ok(maxAbs(mean(q, k, v), refMean(q, k, v)) < 1e-5);
  const gm1 = tf.grads((a: tf.Tensor, bb: tf.Tensor, c: tf.Tensor) => tf.sum(tf.mul(mean(a, bb, c), w)))([q, k, v]);
  const gm2 = tf.grads((a: tf.Tensor, bb: tf.Tensor, c: tf.Tensor) => tf.sum(tf.mul(refMean(a, bb, c), w)))([q, k, v]);
  gm1.forEach((g, i) => assert.ok(maxAbs(g, gm2[i] as tf.Tensor) < 1e-4, `silu-mean grad ${i}`));
  assert.throws(
    () => causalAttention(q, k, v, lengths, H, false, undefined, undefined, { kind: 'silu', normaliser: 0 }),
    /positive normaliser/,
  );
});

test('SASRec attention dropout acts only in training; N(0, 0.02) initialisation', () => {
  const config: SasrecConfig = {
    architecture: 'sasrec',
    numItems: 9,
    dim: 8,
    maxLen: 5,
    blocks: 1,
    heads: 2,
    dropout: 0,
    attentionDropout: 0.5,
  };
  const params = initSasrecParams(config, 4, 'normal');
  const ids = Int32Array.from([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  const run = (training: boolean, seed: number): tf.Tensor => tf.tidy(() => sasrecForwardFor(params, config, ids, training, seed));
  const a = run(false, 1);
  const b = run(false, 2);
  assert.equal(maxAbs(a, b), 0, 'inference is deterministic');
  const plain = tf.tidy(() => sasrecForwardFor(params, { ...config, attentionDropout: 0 }, ids, true, 1));
  assert.equal(maxAbs(a, plain), 0, 'no dropout outside training');
  assert.ok(maxAbs(run(true, 1), a) > 1e-5, 'training applies it');
  const std = rms(params, 'block0.wq');
  assert.ok(std > 0.01 && std < 0.03, `block weights std ${std}`);
  assert.deepEqual([...(params.get('item_emb') as tf.Variable).dataSync().slice(0, 8)], new Array(8).fill(0), 'padding row stays zero');
  tf.dispose([a, b, plain, ...params.values()]);
});

test('SASRec attention output dropout: its own rate, training only; torch initialisation', () => {
  const config: SasrecConfig = {
    architecture: 'sasrec',
    numItems: 9,
    dim: 16,
    maxLen: 5,
    blocks: 1,
    heads: 2,
    dropout: 0,
    attentionOutputDropout: 0.5,
  };
  const params = initSasrecParams(config, 4, 'torch');
  const ids = Int32Array.from([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  const evalOut = tf.tidy(() => sasrecForwardFor(params, config, ids, false, 1));
  const trainOut = tf.tidy(() => sasrecForwardFor(params, config, ids, true, 1));
  assert.ok(maxAbs(trainOut, evalOut) > 1e-5, 'a rate on the attention output alone applies in training');
  const none = tf.tidy(() => sasrecForwardFor(params, { ...config, attentionOutputDropout: 0 }, ids, true, 1));
  assert.equal(maxAbs(none, evalOut), 0, 'rate 0 (and dropout 0): training forward equals inference');
  const inherits = tf.tidy(() => sasrecForwardFor(params, { ...config, attentionOutputDropout: undefined }, ids, true, 1));
  assert.equal(maxAbs(inherits, evalOut), 0, 'absent: the attention output takes `dropout` (0 here)');
  const std = (name: string): number => rms(params, name);
  const qkvStd = Math.sqrt(6 / (4 * 16)) / Math.sqrt(3); // uniform ±√(6 / (4·dim))
  for (const name of ['block0.wq', 'block0.wk', 'block0.wv'])
    assert.ok(Math.abs(std(name) - qkvStd) < 0.25 * qkvStd, `${name} std ${std(name)} vs ${qkvStd}`);
  for (const name of ['block0.wo', 'block0.w1', 'block0.w2', 'item_emb', 'pos_emb'])
    assert.ok(std(name) > 0.01 && std(name) < 0.03, `${name} std ${std(name)}`);
  tf.dispose([evalOut, trainOut, none, inherits, ...params.values()]);
});

test('fused softmax cross-entropy, gather and matmul gradients match tfjs', () => {
  const h = tf.randomNormal([7, 4], 0, 1, 'float32', 5) as tf.Tensor2D;
  const E = tf.randomNormal([6, 4], 0, 1, 'float32', 6) as tf.Tensor2D;
  const targets = Int32Array.from([1, 2, 3, 4, 5, 1, 2]);
  const mine = (a: tf.Tensor, b: tf.Tensor): tf.Tensor =>
    tf.mul(softmaxCrossEntropy(a as tf.Tensor2D, b as tf.Tensor2D, { targets, excludeColumn: 0, chunkRows: 3 }), 2.5);
  const ref = (a: tf.Tensor, b: tf.Tensor): tf.Tensor => {
    const logits = tf.matMul(a, b, false, true).slice([0, 1], [7, 5]);
    return tf.mul(
      tf.losses.softmaxCrossEntropy(
        tf.oneHot(
          tf.tensor1d(
            Array.from(targets, (t) => t - 1),
            'int32',
          ),
          5,
        ),
        logits,
      ),
      2.5,
    );
  };
  assert.ok(maxAbs(mine(h, E), ref(h, E)) < 1e-5);
  const g1 = tf.grads(mine)([h, E]);
  const g2 = tf.grads(ref)([h, E]);
  g1.forEach((g, i) => assert.ok(maxAbs(g, g2[i] as tf.Tensor) < 1e-5));
  const T = tf.randomNormal([5, 3]);
  const ids = Int32Array.from([0, 2, 2, 4]);
  const ga = tf.grads((t: tf.Tensor) => tf.sum(tf.square(gatherRows(t, ids))))([T])[0] as tf.Tensor;
  const gb = tf.grads((t: tf.Tensor) => tf.sum(tf.square(tf.gather(t, tf.tensor1d(ids, 'int32')))))([T])[0] as tf.Tensor;
  assert.ok(maxAbs(ga, gb) < 1e-6);
  const A = tf.randomNormal([2, 3, 4]);
  const Bm = tf.randomNormal([2, 5, 4]);
  const m1 = tf.grads((x: tf.Tensor, y: tf.Tensor) => tf.sum(tf.square(matMulT(x, y, false, true))))([A, Bm]);
  const m2 = tf.grads((x: tf.Tensor, y: tf.Tensor) => tf.sum(tf.square(tf.matMul(x as tf.Tensor3D, y as tf.Tensor3D, false, true))))([
    A,
    Bm,
  ]);
  m1.forEach((g, i) => assert.ok(maxAbs(g, m2[i] as tf.Tensor) < 1e-4));
});

/**
 * The fused cross-entropy (rows of `h`, columns 1..5 of `E`, 0 = padding) against the target
 * distribution of each row — its target, its later targets (two per row), then smoothed by
 * `eps` — matches a tfjs soft-target reference, loss and both gradients.
 */
function assertMatchesSoftTargets(h: tf.Tensor2D, E: tf.Tensor2D, targets: Int32Array, later: LaterTargets | undefined, eps: number): void {
  const mine = (a: tf.Tensor, b: tf.Tensor): tf.Tensor =>
    tf.mul(
      softmaxCrossEntropy(a as tf.Tensor2D, b as tf.Tensor2D, {
        targets,
        excludeColumn: 0,
        chunkRows: 2,
        ...(later ? { later } : {}),
        ...(eps > 0 ? { labelSmoothing: eps } : {}),
      }),
      1.5,
    );
  const dist = new Float32Array(5 * 5);
  targets.forEach((t, i) => {
    const ids = [t, later ? later.ids[2 * i]! : 0, later ? later.ids[2 * i + 1]! : 0];
    const w = [1, ids[1] ? later!.weights[0]! : 0, ids[2] ? later!.weights[1]! : 0];
    const total = w[0]! + w[1]! + w[2]!;
    for (let j = 0; j < 5; j++) dist[i * 5 + j] = eps / 5;
    ids.forEach((id, j) => {
      if (id) dist[i * 5 + id - 1]! += ((1 - eps) * w[j]!) / total;
    });
  });
  const ref = (a: tf.Tensor, b: tf.Tensor): tf.Tensor => {
    const logits = tf.matMul(a, b, false, true).slice([0, 1], [5, 5]);
    return tf.mul(tf.mean(tf.sum(tf.mul(tf.tensor2d(dist, [5, 5]), tf.neg(tf.logSoftmax(logits))), 1)), 1.5);
  };
  assert.ok(maxAbs(mine(h, E), ref(h, E)) < 1e-5, `loss ${mine(h, E).dataSync()[0]} vs ${ref(h, E).dataSync()[0]}`);
  const g1 = tf.grads(mine)([h, E]);
  const g2 = tf.grads(ref)([h, E]);
  g1.forEach((g, i) => assert.ok(maxAbs(g, g2[i] as tf.Tensor) < 1e-5));
}

test('later targets: the fused cross-entropy against a weighted target distribution matches tfjs, loss and gradients', () => {
  const h = tf.randomNormal([5, 4], 0, 1, 'float32', 7) as tf.Tensor2D;
  const E = tf.randomNormal([6, 4], 0, 1, 'float32', 8) as tf.Tensor2D;
  const targets = Int32Array.from([1, 2, 3, 4, 5]);
  // two later targets per row; 0 = none (the end of a history)
  const laterIds = Int32Array.from([2, 3, 3, 4, 4, 5, 5, 0, 0, 0]);
  const weights = Float32Array.from([0.5, 0.25]);
  assertMatchesSoftTargets(h, E, targets, { ids: laterIds, weights }, 0);
  // no later targets at all: the plain next-item loss
  const none = softmaxCrossEntropy(h, E, { targets, excludeColumn: 0, later: { ids: new Int32Array(10), weights } });
  const plain = softmaxCrossEntropy(h, E, { targets, excludeColumn: 0 });
  assert.ok(maxAbs(none, plain) < 1e-6);
});

test('label smoothing: the fused cross-entropy against (1 − ε)·target + ε/columns matches tfjs, with and without later targets', () => {
  const h = tf.randomNormal([5, 4], 0, 1, 'float32', 9) as tf.Tensor2D;
  const E = tf.randomNormal([6, 4], 0, 1, 'float32', 10) as tf.Tensor2D;
  const targets = Int32Array.from([1, 2, 3, 4, 5]);
  const laterIds = Int32Array.from([2, 0, 4, 5, 0, 0, 1, 3, 0, 0]);
  const weights = Float32Array.from([0.5, 0.25]);
  assertMatchesSoftTargets(h, E, targets, undefined, 0.2);
  assertMatchesSoftTargets(h, E, targets, { ids: laterIds, weights }, 0.2);
  const plain = softmaxCrossEntropy(h, E, { targets, excludeColumn: 0 });
  assert.ok(maxAbs(softmaxCrossEntropy(h, E, { targets, excludeColumn: 0, labelSmoothing: 0 }), plain) < 1e-7, 'ε = 0 is the plain loss');
});

test('weight decay: matrices and embeddings shrink by 1 − lr·decay per step, layer norms and biases do not', async () => {
  const config: SasrecConfig = {
    architecture: 'sasrec',
    numItems: 8,
    dim: 8,
    maxLen: 5,
    blocks: 1,
    heads: 1,
    dropout: 0,
    relativeBias: true,
  };
  const params = initSasrecParams(config, 4, 'normal');
  const decayed = new Set(decayedParams(params));
  for (const [name, v] of params) {
    const expected = v.rank >= 2 && !name.endsWith('rel_bias');
    assert.equal(decayed.has(v as tf.Variable), expected, `${name} decayed: ${expected}`);
  }
  assert.ok(decayed.has(params.get('item_emb') as tf.Variable));
  const before = (params.get('item_emb')!.dataSync() as Float32Array).slice();
  applyWeightDecay([...decayed], 0.01, 5);
  const after = params.get('item_emb')!.dataSync() as Float32Array;
  after.forEach((x, i) => assert.ok(Math.abs(x - (before[i] as number) * 0.95) < 1e-6));
  // in training: the same seed with a large decay ends with smaller embeddings
  const seqs = Array.from({ length: 16 }, (_, u) => cycle(8, u % 8, 5));
  const norm = (p: ParamMap): number => tf.tidy(() => tf.norm(p.get('item_emb') as tf.Tensor).dataSync()[0] as number);
  const trained = async (weightDecay: number): Promise<number> => {
    const p = initSasrecParams(config, 4, 'normal');
    const tensors = tf.memory().numTensors;
    await trainSequenceModel(
      p,
      config,
      seqs,
      { epochs: 3, batchSize: 8, lr: 0.01, seed: 2, sampledNegatives: 0, evalEvery: 3, patience: 5, maxSeconds: 60, weightDecay },
      { validate: () => 1 },
    );
    assert.ok(tf.memory().numTensors <= tensors + 2 * p.size, 'decay leaks no tensors');
    const n = norm(p);
    p.forEach((v) => v.dispose());
    return n;
  };
  assert.ok((await trained(20)) < 0.9 * (await trained(0)));
  params.forEach((v) => v.dispose());
});

test('later targets in batches: the items after each next item, within the history, weighted W^j', () => {
  assert.deepEqual([...laterTargetWeights({ laterTargets: 3, laterWeight: 0.5 })], [0.5, 0.25, 0.125]);
  assert.equal(laterTargetWeights({}).length, 0);
  const seqs = [Int32Array.from([1, 2, 3, 4, 5]), Int32Array.from([6, 7])];
  const weights = laterTargetWeights({ laterTargets: 2, laterWeight: 0.5 });
  const batches = makeBatches(seqs, 3, 8, mulberry32(1), 'last', 'length', weights);
  const b = batches[0] as Batch;
  assert.ok(b.later);
  assert.equal(b.later.ids.length, b.batch * b.len * 2);
  const rows = Array.from({ length: b.batch }, (_, r) => ({
    targets: [...b.targets.slice(r * b.len, (r + 1) * b.len)],
    later: [...(b.later as { ids: Int32Array }).ids.slice(r * b.len * 2, (r + 1) * b.len * 2)],
  })).sort((x, y) => y.targets[0]! - x.targets[0]!);
  // [1..5] with maxLen 3: inputs 2,3,4 → next 3,4,5; later (4,5), (5,-), (-,-)
  assert.deepEqual(rows[0], { targets: [3, 4, 5], later: [4, 5, 5, 0, 0, 0] });
  assert.deepEqual(rows[1], { targets: [0, 0, 7], later: [0, 0, 0, 0, 0, 0] });
  // shards keep each row's later targets
  const shards = shardBatch(b, 2);
  const rejoined = shards.flatMap((s) =>
    Array.from({ length: s.batch }, (_, r) =>
      [...(s.later as { ids: Int32Array }).ids.slice(r * s.len * 2, (r + 1) * s.len * 2)].filter((x) => x !== 0).join(','),
    ),
  );
  assert.deepEqual(rejoined.sort(), ['', '4,5,5']);
  assert.equal(makeBatches(seqs, 3, 8, mulberry32(1))[0]?.later, undefined, 'off by default');
});

test('batches are left-padded next-item pairs bucketed by length', () => {
  const seqs = [Int32Array.from([1, 2, 3, 4]), Int32Array.from([5, 6]), Int32Array.from([7])];
  const batches = makeBatches(seqs, 2, 8, mulberry32(1));
  assert.equal(batches.length, 1);
  const b = batches[0];
  assert.ok(b);
  assert.equal(b.len, 2);
  const rows = [0, 1].map((r) => ({ ids: [...b.ids.slice(r * 2, r * 2 + 2)], targets: [...b.targets.slice(r * 2, r * 2 + 2)] }));
  assert.deepEqual(
    rows.sort((x, y) => x.ids[1]! - y.ids[1]!),
    [
      { ids: [2, 3], targets: [3, 4] },
      { ids: [0, 5], targets: [0, 6] },
    ],
  );
});

test('batch order: shuffled batches mix lengths and hold the same (input, target) pairs as length-bucketed ones', () => {
  const seqs = Array.from({ length: 40 }, (_, u) => Int32Array.from({ length: 3 + u }, (_, i) => 1 + ((u * 7 + i) % 50)));
  // each row's real (non-padding) inputs and targets
  const rows = (b: Batch): Array<{ ids: number[]; targets: number[] }> =>
    Array.from({ length: b.batch }, (_, r) => ({
      ids: [...b.ids.slice(r * b.len, (r + 1) * b.len)].filter((x) => x !== 0),
      targets: [...b.targets.slice(r * b.len, (r + 1) * b.len)].filter((x) => x !== 0),
    }));
  const pairs = (batches: Batch[]): string[] =>
    batches.flatMap((b) => rows(b).map((row) => `${row.ids.join(',')}>${row.targets.join(',')}`)).sort();
  const spread = (b: Batch): number => {
    const lengths = rows(b).map((row) => row.targets.length);
    return Math.max(...lengths) - Math.min(...lengths);
  };
  const byLength = makeBatches(seqs, 30, 8, mulberry32(5));
  const shuffled = makeBatches(seqs, 30, 8, mulberry32(5), 'last', 'random');
  assert.deepEqual(pairs(shuffled), pairs(byLength));
  assert.ok(Math.max(...byLength.map(spread)) <= 8, 'length buckets hold similar lengths');
  assert.ok(
    shuffled.some((b) => spread(b) > 15),
    'shuffled batches mix short and long histories',
  );
});

/** The highest-scoring item of 1..n (index 0 is padding). */
const topItem = (scores: Float32Array, n: number): number => {
  let best = 1;
  for (let j = 2; j <= n; j++) if ((scores[j] as number) > (scores[best] as number)) best = j;
  return best;
};

test('a tiny SASRec learns a deterministic cycle; save, load, score, no leaks', async () => {
  const n = 8;
  const config: SasrecConfig = { architecture: 'sasrec', numItems: n, dim: 16, maxLen: 6, blocks: 1, heads: 2, dropout: 0 };
  const params = initSasrecParams(config, 7);
  const seqs = Array.from({ length: 32 }, (_, u) => cycle(n, u % n, 5 + (u % 4)));
  const result = await trainSequenceModel(
    params,
    config,
    seqs,
    {
      epochs: 60,
      batchSize: 16,
      lr: 0.02,
      seed: 3,
      sampledNegatives: 0,
      evalEvery: 60,
      patience: 5,
      maxSeconds: 120,
    },
    { validate: () => 1 },
  );
  assert.equal(result.epochs, 60);
  const top = (scores: Float32Array): number => topItem(scores, n);
  assert.equal(top(scoreHistories(params, config, [Int32Array.from([3, 4, 5])]).scores), 6);

  // round trip through a model directory
  const tensors = sasrecParamShapes(config).map(([name, shape]) => ({ name, shape, data: params.get(name)!.dataSync() as Float32Array }));
  const { specs, bytes } = encodeWeights(tensors);
  assert.equal(decodeWeights(specs, bytes.buffer as ArrayBuffer).get('item_emb')?.data.length, (n + 1) * 16);
  const dir = mkdtempSync(join(tmpdir(), 'tastebud-model-'));
  const vocab = Array.from({ length: n }, (_, i) => `item-${i + 1}`);
  writeModelDir(
    dir,
    [
      { path: WEIGHTS_FILE, bytes },
      { path: VOCAB_FILE, bytes: new TextEncoder().encode(JSON.stringify(vocab)) },
    ],
    {
      kind: 'sequence',
      name: 'sasrec',
      config: { ...config, weights: { path: WEIGHTS_FILE, dtype: 'float32', byteOrder: 'little-endian', specs }, vocabulary: VOCAB_FILE },
    },
  );
  const { manifest, files } = await readModelDir(dir);
  const tensorsBeforeLoad = tf.memory().numTensors;
  const model = await loadSequenceModel(manifest, files);
  assert.equal(tf.memory().numTensors, tensorsBeforeLoad + sasrecParamShapes(config).length);
  assert.deepEqual(model.itemIds, vocab);
  assert.equal(model.maxLen, 6);
  const history = Int32Array.from([8, 1, 2, 3, 4, 5, 6, 7, 8, 1]);
  const before = tf.memory().numTensors;
  const out = model.score(history);
  for (let i = 0; i < 20; i++) model.score(history);
  assert.equal(tf.memory().numTensors, before);
  assert.equal(out.scores.length, n + 1);
  assert.equal(out.contributions.length, 6);
  assert.ok(out.contributions.every((c) => c >= 0));
  assert.ok(Math.abs(out.contributions.reduce((s, c) => s + c, 0) - 1) < 1e-4);
  assert.equal(top(out.scores), 2);
  const direct = scoreHistories(params, config, [history.subarray(4)]).scores;
  assert.ok(out.scores.every((s, i) => Math.abs(s - (direct[i] as number)) < 1e-4));
  assert.deepEqual([...model.score(new Int32Array(0)).contributions], []);
  assert.throws(
    () => model.score(Int32Array.from([0])),
    (e: unknown) => e instanceof TastebudError && e.code === 'invalid-argument',
  );
  // other weights change the scores, reset restores them
  model.importWeights(new Float32Array(model.exportWeights().byteLength / 4).fill(0.01).buffer);
  assert.ok(model.score(history).scores.some((s, i) => Math.abs(s - (out.scores[i] as number)) > 1e-3));
  assert.equal(tf.memory().numTensors, before);
  model.reset();
  assert.ok(model.score(history).scores.every((s, i) => Math.abs(s - (out.scores[i] as number)) < 1e-5));
  model.dispose();
  assert.equal(tf.memory().numTensors, tensorsBeforeLoad);
  for (const v of params.values()) v.dispose();

  // tampering is detected
  writeFileSync(join(dir, WEIGHTS_FILE), new Uint8Array(bytes.byteLength));
  await assert.rejects(readModelDir(dir), (e: unknown) => e instanceof TastebudError && e.code === 'model-integrity');
});

test('a tiny LiGR-block SASRec learns the cycle: every weight trains, batch padding changes no score, no leaks', async () => {
  const n = 8;
  const config: SasrecConfig = {
    architecture: 'sasrec',
    numItems: n,
    dim: 16,
    maxLen: 6,
    blocks: 2,
    heads: 2,
    dropout: 0.1,
    attentionDropout: 0.1,
    block: 'ligr',
    ffMultiplier: 2,
    positions: 'from-start',
  };
  const params = initSasrecParams(config, 7, 'normal');
  const initial = new Map([...params].map(([name, v]) => [name, (v.dataSync() as Float32Array).slice()]));
  const seqs = Array.from({ length: 32 }, (_, u) => cycle(n, u % n, 5 + (u % 4)));
  const before = tf.memory().numTensors;
  await trainSequenceModel(
    params,
    config,
    seqs,
    {
      epochs: 60,
      batchSize: 16,
      lr: 0.02,
      seed: 3,
      sampledNegatives: 0,
      evalEvery: 60,
      patience: 5,
      maxSeconds: 120,
    },
    { validate: () => 1 },
  );
  assert.ok(tf.memory().numTensors <= before + 2 * params.size, 'training leaves at most the optimizer slots');
  for (const [name, v] of params) {
    if (name === 'item_emb' || name === 'pos_emb') continue;
    const moved = (v.dataSync() as Float32Array).some((x, i) => Math.abs(x - (initial.get(name)![i] as number)) > 1e-6);
    assert.ok(moved, `${name} received gradient`);
  }
  const top = (scores: Float32Array): number => topItem(scores, n);
  assert.equal(top(scoreHistories(params, config, [Int32Array.from([3, 4, 5])]).scores), 6);
  assert.equal(top(scoreHistories(params, config, [Int32Array.from([7, 8, 1, 2])]).scores), 3);
  const histories = [Int32Array.from([5]), Int32Array.from([2, 3, 4, 5, 6, 7])];
  const batched = scoreHistories(params, config, histories).scores;
  const alone = scoreHistories(params, config, [histories[0] as Int32Array]).scores;
  for (let j = 1; j <= n; j++) assert.ok(Math.abs((alone[j] as number) - (batched[j] as number)) < 1e-4, 'left padding changes no score');
  for (const v of params.values()) v.dispose();
});

test('sampled softmax over shared negatives: loss and gradients match a tfjs reference, accidental hits masked', () => {
  const h = tf.randomNormal([5, 4], 0, 1, 'float32', 7) as tf.Tensor2D;
  const P = tf.randomNormal([5, 4], 0, 1, 'float32', 8) as tf.Tensor2D;
  const N = tf.randomNormal([3, 4], 0, 1, 'float32', 9) as tf.Tensor2D;
  const targets = Int32Array.from([4, 2, 9, 2, 4]);
  const negativeIds = Int32Array.from([2, 7, 4]);
  const offset = Math.log(10 / 3);
  const mine = (a: tf.Tensor, b: tf.Tensor, c: tf.Tensor): tf.Tensor =>
    tf.mul(
      sampledSoftmaxCrossEntropy(a as tf.Tensor2D, b as tf.Tensor2D, c as tf.Tensor2D, {
        targets,
        negativeIds,
        negativeLogitOffset: offset,
        chunkRows: 2,
      }),
      1.5,
    );
  // column 0 = positive, then the negatives; a negative equal to the row's target gets a large negative mask
  const mask = tf.tensor2d(Array.from(targets, (t) => [0, ...Array.from(negativeIds, (id) => (id === t ? -1e9 : offset))]));
  const ref = (a: tf.Tensor, b: tf.Tensor, c: tf.Tensor): tf.Tensor => {
    const pos = tf.sum(tf.mul(a, b), 1, true);
    const logits = tf.add(tf.concat([pos, tf.matMul(a, c, false, true)], 1), mask);
    return tf.mul(tf.losses.softmaxCrossEntropy(tf.oneHot(tf.zeros([5], 'int32') as tf.Tensor1D, 4), logits), 1.5);
  };
  assert.ok(maxAbs(mine(h, P, N), ref(h, P, N)) < 1e-5);
  const g1 = tf.grads(mine)([h, P, N]);
  const g2 = tf.grads(ref)([h, P, N]);
  g1.forEach((g, i) => assert.ok(maxAbs(g, g2[i] as tf.Tensor) < 1e-5, `grad ${i}`));
});

test('sampled softmax (positive + shared negatives) also trains the tiny model', async () => {
  const n = 8;
  const config: SasrecConfig = { architecture: 'sasrec', numItems: n, dim: 16, maxLen: 6, blocks: 1, heads: 1, dropout: 0.1 };
  const params = initSasrecParams(config, 11);
  const seqs = Array.from({ length: 32 }, (_, u) => cycle(n, u % n, 6));
  const before = tf.memory().numTensors;
  let validations = 0;
  const result = await trainSequenceModel(
    params,
    config,
    seqs,
    {
      epochs: 40,
      batchSize: 8,
      lr: 0.02,
      seed: 5,
      sampledNegatives: 3,
      evalEvery: 20,
      patience: 5,
      maxSeconds: 120,
    },
    { validate: () => ++validations },
  );
  assert.equal(validations, 2);
  assert.equal(result.bestEpoch, 40);
  assert.equal(tf.memory().numTensors, before);
  const scores = scoreHistories(params, config, [Int32Array.from([6, 7])]).scores;
  let best = 1;
  for (let j = 2; j <= n; j++) if ((scores[j] as number) > (scores[best] as number)) best = j;
  assert.equal(best, 8);
  for (const v of params.values()) v.dispose();
});

test('training windows and the cosine learning-rate schedule', () => {
  const seq = Int32Array.from({ length: 50 }, (_, i) => i + 1);
  const random = mulberry32(9);
  const ends = new Set<number>();
  for (let i = 0; i < 200; i++) {
    const w = randomWindow(seq, 10, random);
    if (w.length === seq.length) {
      ends.add(50);
      continue;
    }
    assert.equal(w.length, 11);
    for (let j = 1; j < w.length; j++) assert.equal(w[j], w[j - 1]! + 1, 'a window is a contiguous slice');
    ends.add(w[w.length - 1]!);
  }
  assert.ok(ends.has(50) && ends.size > 10, 'the latest window and many earlier ones are used');
  const short = Int32Array.from([1, 2, 3]);
  assert.equal(randomWindow(short, 10, random), short);
  const opts = { lr: 0.01, lrSchedule: 'cosine' as const, minLrFraction: 0.1 };
  assert.ok(Math.abs(scheduledLr(opts, 0) - 0.01) < 1e-12);
  assert.ok(Math.abs(scheduledLr(opts, 0.5) - 0.0055) < 1e-12);
  assert.ok(Math.abs(scheduledLr(opts, 1) - 0.001) < 1e-12);
  assert.ok(Math.abs(scheduledLr(opts, 3) - 0.001) < 1e-12, 'clamped after the budget');
  assert.equal(scheduledLr({ lr: 0.01 }, 0.7), 0.01, 'constant by default');
});

function sasrecForwardFor(params: ParamMap, config: SasrecConfig, ids: Int32Array, training: boolean, seed: number): tf.Tensor {
  return sasrecForward(params, config, ids, 2, 5, { training, random: mulberry32(seed) }).hidden;
}
