import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { encodeWeights, VOCAB_FILE, WEIGHTS_FILE } from '../common/model-format/sequence';
import { loadSequenceModel } from '../training/sequence/trained-model';
import { scoreHistories } from '../training/sequence/infer';
import { initParams, paramShapes, type SequenceArchConfig } from '../training/sequence/model';
import { trainSequenceModel } from '../training/sequence/train';
import { sha256Hex, type ModelManifest } from '../common/model-format/manifest';

before(async () => {
  await tf.setBackend('cpu');
  await tf.ready();
});

test('GRU variant: padding is exact, learns a cycle, loads and scores like SASRec', async () => {
  const n = 6;
  const config: SequenceArchConfig = { architecture: 'gru', numItems: n, dim: 12, maxLen: 5, blocks: 1, heads: 1, dropout: 0 };
  const params = initParams(config, 3);
  // left padding does not change the last state
  const a = scoreHistories(params, config, [Int32Array.from([2, 3])]).scores;
  const b = scoreHistories(params, config, [Int32Array.from([2, 3]), Int32Array.from([1, 2, 3, 4])]).scores.subarray(0, n + 1);
  assert.ok(a.every((x, i) => Math.abs(x - (b[i] as number)) < 1e-5));
  const seqs = Array.from({ length: 24 }, (_, u) => Int32Array.from({ length: 6 }, (_, i) => 1 + ((u + i) % n)));
  await trainSequenceModel(
    params,
    config,
    seqs,
    { epochs: 40, batchSize: 8, lr: 0.03, seed: 1, sampledNegatives: 0, evalEvery: 40, patience: 3, maxSeconds: 120 },
    { validate: () => 1 },
  );
  const top = (s: Float32Array): number => {
    let best = 1;
    for (let j = 2; j <= n; j++) if ((s[j] as number) > (s[best] as number)) best = j;
    return best;
  };
  assert.equal(top(scoreHistories(params, config, [Int32Array.from([3, 4])]).scores), 5);

  const { specs, bytes } = encodeWeights(
    paramShapes(config).map(([name, shape]) => ({ name, shape, data: params.get(name)!.dataSync() as Float32Array })),
  );
  const vocab = new TextEncoder().encode(JSON.stringify(['a', 'b', 'c', 'd', 'e', 'f']));
  const manifest: ModelManifest = {
    formatVersion: 1,
    kind: 'sequence',
    name: 'gru',
    version: 'test',
    files: [
      { path: WEIGHTS_FILE, sha256: await sha256Hex(bytes), bytes: bytes.byteLength },
      { path: VOCAB_FILE, sha256: await sha256Hex(vocab), bytes: vocab.byteLength },
    ],
    config: { ...config, weights: { path: WEIGHTS_FILE, dtype: 'float32', byteOrder: 'little-endian', specs }, vocabulary: VOCAB_FILE },
  };
  const model = await loadSequenceModel(
    manifest,
    new Map([
      [WEIGHTS_FILE, bytes.slice().buffer as ArrayBuffer],
      [VOCAB_FILE, vocab.slice().buffer as ArrayBuffer],
    ]),
  );
  const before = tf.memory().numTensors;
  const out = model.score(Int32Array.from([1, 2, 3, 4]));
  assert.equal(tf.memory().numTensors, before);
  assert.equal(top(out.scores), 5);
  assert.equal(out.contributions.length, 4);
  assert.ok(Math.abs(out.contributions.reduce((s, c) => s + c, 0) - 1) < 1e-4);
  await assert.rejects(loadSequenceModel({ ...manifest, name: 'sasrec' }, new Map()), /model-load|missing|does not match/);
  model.dispose();
  for (const v of params.values()) v.dispose();
});
