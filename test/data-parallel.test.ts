import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { evaluateLeaveOneOutShared, startGradientPeers } from '../training/gradient-pool';
import { evaluateLeaveOneOut } from '../training/metrics';
import { scoreHistories } from '../training/sequence/infer';
import { combineShards, shardBatch } from '../training/sequence/data-parallel';
import { initParams, type SequenceArchConfig } from '../training/sequence/model';
import { type Batch, makeBatches, shardGradients, trainSequenceModel } from '../training/sequence/train';
import { mulberry32 } from '../common/random';

before(async () => {
  await tf.setBackend('cpu');
  await tf.ready();
});

const config: SequenceArchConfig = { architecture: 'sasrec', numItems: 30, dim: 8, maxLen: 10, blocks: 1, heads: 2, dropout: 0 };

function sequences(n: number, seed: number): Int32Array[] {
  const r = mulberry32(seed);
  return Array.from({ length: n }, () => {
    const len = 3 + Math.floor(r() * 12);
    let item = 1 + Math.floor(r() * 30);
    return Int32Array.from({ length: len }, () => (item = 1 + ((item + 1 + Math.floor(r() * 3)) % 30)));
  });
}

const maxDiff = (a: readonly Float32Array[], b: readonly Float32Array[]): number => {
  let m = 0;
  a.forEach((x, k) =>
    x.forEach((v, i) => {
      m = Math.max(m, Math.abs(v - ((b[k] as Float32Array)[i] as number)));
    }),
  );
  return m;
};

test('shards cover every row once and trimming left padding keeps each row', () => {
  const [batch] = makeBatches(sequences(7, 1), config.maxLen, 7, mulberry32(2)) as [Batch];
  const shards = shardBatch(batch, 3);
  assert.deepEqual(
    shards.map((s) => s.batch),
    [3, 2, 2],
  );
  let row = 0;
  for (const s of shards) {
    assert.ok(s.len <= batch.len);
    for (let r = 0; r < s.batch; r++, row++) {
      const full = Array.from(batch.targets.subarray(row * batch.len, (row + 1) * batch.len)).filter((t) => t !== 0);
      const part = Array.from(s.targets.subarray(r * s.len, (r + 1) * s.len)).filter((t) => t !== 0);
      assert.deepEqual(part, full);
    }
  }
  assert.equal(row, 7);
  assert.equal(shardBatch(batch, 20).length, 7, 'never more shards than rows');
});

test('target-weighted shard gradients equal the full-batch gradient', () => {
  const params = initParams(config, 3);
  /** The combined gradients of `parts` shards equal the full batch's; returns the full batch's loss. */
  const shardsMatchFull = (batch: Batch, parts: number): number => {
    const full = shardGradients(params, config, batch, 0, mulberry32(6));
    const combined = combineShards(shardBatch(batch, parts).map((s) => shardGradients(params, config, s, 0, mulberry32(6))));
    assert.equal(combined.targets, full.targets);
    assert.ok(Math.abs(combined.loss - full.loss) < 1e-5, `loss ${combined.loss} vs ${full.loss}`);
    assert.ok(maxDiff(combined.grads, full.grads) < 1e-5);
    return full.loss;
  };
  const [batch] = makeBatches(sequences(9, 4), config.maxLen, 9, mulberry32(5)) as [Batch];
  const plainLoss = shardsMatchFull(batch, 2);
  // the same with later targets, which the shards carry along
  const [withLater] = makeBatches(sequences(9, 4), config.maxLen, 9, mulberry32(5), 'last', 'length', Float32Array.from([0.5, 0.25])) as [
    Batch,
  ];
  const laterLoss = shardsMatchFull(withLater, 3);
  assert.ok(Math.abs(laterLoss - plainLoss) > 1e-3, 'later targets change the loss');
  // and label smoothing
  const smoothedLoss = shardsMatchFull({ ...withLater, labelSmoothing: 0.1 }, 2);
  assert.ok(Math.abs(smoothedLoss - laterLoss) > 1e-3, 'label smoothing changes the loss');
  params.forEach((v) => v.dispose());
});

test('a worker-thread peer computes the same gradients, and training with it matches one thread', async () => {
  const seqs = sequences(40, 7);
  const peers = await startGradientPeers(1, { config, backend: 'cpu', seed: 8, sampledNegatives: 0 });
  try {
    const params = initParams(config, 9);
    const [batch] = makeBatches(seqs, config.maxLen, 16, mulberry32(10)) as [Batch];
    const weights = [...params.values()].map((v) => (v.dataSync() as Float32Array).slice());
    const remote = await (peers[0] as (typeof peers)[number]).gradients(weights, batch);
    const local = shardGradients(params, config, batch, 0, mulberry32(11));
    assert.equal(remote.targets, local.targets);
    assert.ok(maxDiff(remote.grads, local.grads) < 1e-6);

    // validation shared with the thread: the same metrics as on this thread alone (small batches: both take part)
    const users = seqs.map((_, u) => u);
    const score = (h: readonly Int32Array[]): Float32Array => scoreHistories(params, config, h).scores;
    for (const which of ['valid', 'test'] as const) {
      const alone = evaluateLeaveOneOut(score, config.numItems, seqs, users, which, 8);
      const shared = await evaluateLeaveOneOutShared(score, weights, peers, config.numItems, seqs, users, which, 8);
      assert.equal(shared.users, 40);
      for (const key of ['hr10', 'ndcg10', 'ndcg20', 'mrr'] as const)
        assert.ok(Math.abs(shared[key] - alone[key]) < 1e-9, `${which} ${key}: ${shared[key]} vs ${alone[key]}`);
    }

    const opts = { epochs: 2, batchSize: 16, lr: 0.01, seed: 12, sampledNegatives: 0, evalEvery: 1, patience: 5, maxSeconds: 600 };
    const one = initParams(config, 13);
    const two = initParams(config, 13);
    const before = tf.memory().numTensors;
    await trainSequenceModel(one, config, seqs, opts, { validate: () => 0 });
    await trainSequenceModel(two, config, seqs, opts, { validate: () => 0, peers });
    assert.equal(tf.memory().numTensors, before, 'no tensors leak from parallel steps');
    const a = [...one.values()].map((v) => v.dataSync() as Float32Array);
    const b = [...two.values()].map((v) => v.dataSync() as Float32Array);
    // f32 sums in a different order (two shards, the attention's SIMD lanes), amplified by Adam's
    // normalisation of near-zero gradients: 1.5e-4 measured after 2 epochs at lr 0.01
    assert.ok(maxDiff(a, b) < 5e-4, `weights differ by ${maxDiff(a, b)}`);
    [...one.values(), ...two.values(), ...params.values()].forEach((v) => v.dispose());
  } finally {
    await Promise.all(peers.map((p) => p.dispose()));
  }
});

test('a peer that fails reports the error instead of hanging', async () => {
  const peers = await startGradientPeers(1, { config, backend: 'cpu', seed: 1, sampledNegatives: 0 });
  try {
    const bad: Batch = { ids: Int32Array.from([1, 2, 3]), targets: Int32Array.from([2, 3, 4]), batch: 1, len: 3 };
    await assert.rejects((peers[0] as (typeof peers)[number]).gradients([new Float32Array(3)], bad), /gradient thread failed/);
  } finally {
    await Promise.all(peers.map((p) => p.dispose()));
  }
  await assert.rejects(
    startGradientPeers(1, { config, backend: 'nope', seed: 1, sampledNegatives: 0 }),
    /could not start a gradient thread/,
  );
});
