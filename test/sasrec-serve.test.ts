import { test } from 'node:test';
import { maxAbsDiff, type ModelFixture, randomSequenceModel, tinyConfig } from './sequence-fixtures';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { type SequenceModelConfig } from '../common/model-format/sequence';
import { type AttentionKind, type BlockLayout, type PositionOrigin, sasrecParamShapes } from '../workers/models/sequence/sasrec';
import { scoreHistories } from '../training/sequence/infer';
import { initParams } from '../training/sequence/model';
import { loadSequenceModel } from '../training/sequence/trained-model';
import { loadSequenceServer } from '../workers/models/serving/load';

const fixture = (
  seed: number,
  positions?: PositionOrigin,
  block?: BlockLayout,
  relativeBias?: boolean,
  attention?: AttentionKind,
): ModelFixture => randomSequenceModel({ seed, positions, block, relativeBias, attention });

const layouts: Array<[PositionOrigin | undefined, BlockLayout | undefined, boolean?, AttentionKind?]> = [
  [undefined, undefined],
  ['from-end', undefined],
  ['from-start', undefined],
  ['from-start', 'ligr'],
  ['from-end', 'ligr'],
  ['from-start', undefined, true],
  ['from-end', 'ligr', true],
  ['from-start', 'ligr', true, 'silu'],
  ['from-end', undefined, false, 'silu'],
  ['from-start', 'ligr', true, 'silu-mean'],
];
for (const [positions, block, relativeBias, attention] of layouts)
  test(`serving forward (plain tf ops) equals the training forward, incl. attention (positions: ${positions ?? 'default'}, block: ${block ?? 'default'}${relativeBias ? ', relative bias' : ''}${attention ? `, ${attention} attention` : ''})`, async () => {
    await tf.setBackend('cpu');
    const { manifest, files } = fixture(3, positions, block, relativeBias, attention);
    const reference = await loadSequenceModel(manifest, files);
    const server = await loadSequenceServer(manifest, files);
    for (const history of [[5], [1, 2, 3], [7, 3, 29, 30, 1, 14, 9, 2, 2, 5, 11, 18, 21, 4, 6]]) {
      const h = Int32Array.from(history);
      const want = reference.score(h);
      const got = await server.score(h);
      let maxDiff = 0;
      for (let i = 1; i < want.scores.length; i++) maxDiff = Math.max(maxDiff, Math.abs(want.scores[i]! - got.scores[i]!));
      assert.ok(maxDiff < 1e-4, `scores differ by ${maxDiff} for history ${history}`);
      assert.equal(got.contributions.length, want.contributions.length);
      want.contributions.forEach((c, i) => assert.ok(Math.abs(c - got.contributions[i]!) < 1e-4));
    }
    // from-start positions keep the last history's keys and values (one prefix, replaced on each call)
    await server.score(Int32Array.from([1, 2, 3, 4]));
    const before = tf.memory().numTensors;
    for (let i = 0; i < 20; i++) await server.score(Int32Array.from([1, 2, 3, i + 1]));
    assert.equal(tf.memory().numTensors, before, 'no tensor leak');
    await assert.rejects(server.score(Int32Array.from([0])), /not a model item index/);
    reference.dispose();
    server.dispose();
  });

test('from-start positions: left padding in a batch changes no score, and the layout changes the scores', async () => {
  await tf.setBackend('cpu');
  const histories = [[5], [1, 2, 3], [7, 3, 29, 30, 1, 14, 9, 2, 2, 5, 11, 18, 21, 4, 6]].map((h) => Int32Array.from(h));
  const scoresOf = (positions: PositionOrigin): Float32Array[] => {
    const config = tinyConfig({ positions });
    const params = initParams(config, 5); // same seed, same shapes: the same weights for both layouts
    const V = config.numItems + 1;
    const batched = scoreHistories(params, config, histories).scores; // rows left-padded to the longest history
    const rows = histories.map((h, b) => {
      const alone = scoreHistories(params, config, [h]).scores;
      let maxDiff = 0;
      for (let i = 1; i < V; i++) maxDiff = Math.max(maxDiff, Math.abs(alone[i]! - batched[b * V + i]!));
      assert.ok(maxDiff < 1e-4, `${positions}: history ${b} scores ${maxDiff} apart padded vs alone`);
      return alone;
    });
    for (const v of params.values()) v.dispose();
    return rows;
  };
  const fromEnd = scoresOf('from-end');
  const fromStart = scoresOf('from-start');
  // same weights, different position rows: a 1-item history reads pos_emb[11] from the end, pos_emb[0] from the start
  assert.ok(fromEnd[0]!.some((v, i) => i > 0 && Math.abs(v - fromStart[0]![i]!) > 1e-3));
  // a full window (12 of the 15 items) uses every position row in the same order both ways
  fromEnd[2]!.forEach((v, i) => assert.ok(Math.abs(v - fromStart[2]![i]!) < 1e-4));
});

test('manifest positions must be from-end or from-start; attentionDropout and attentionOutputDropout rates', async () => {
  const { manifest, files } = fixture(3);
  const bad = { ...manifest, config: { ...manifest.config, positions: 'middle' } };
  await assert.rejects(loadSequenceModel(bad, files), /positions must be "from-end" or "from-start"/);
  const badRate = { ...manifest, config: { ...manifest.config, attentionDropout: 1.5 } };
  await assert.rejects(loadSequenceModel(badRate, files), /attentionDropout must be in \[0, 1\)/);
  const badOutputRate = { ...manifest, config: { ...manifest.config, attentionOutputDropout: -0.1 } };
  await assert.rejects(loadSequenceModel(badOutputRate, files), /attentionOutputDropout must be in \[0, 1\)/);
  const zeroOutputRate = { ...manifest, config: { ...manifest.config, attentionOutputDropout: 0 } };
  const model = await loadSequenceModel(zeroOutputRate, files);
  assert.equal((model.config as SequenceModelConfig).attentionOutputDropout, 0, 'a rate of 0 is kept (it differs from an absent rate)');
  model.dispose();
});

test('manifest block must be sasrec or ligr; ffMultiplier only with ligr; a ligr model has gates and a SwiGLU feed-forward', async () => {
  const { manifest, files } = fixture(3, 'from-start', 'ligr');
  const bad = { ...manifest, config: { ...manifest.config, block: 'post-norm' } };
  await assert.rejects(loadSequenceModel(bad, files), /block must be "sasrec" or "ligr"/);
  const badMultiplier = { ...manifest, config: { ...manifest.config, ffMultiplier: 2.5 } };
  await assert.rejects(loadSequenceModel(badMultiplier, files), /ffMultiplier must be an integer in \[1, 16\]/);
  const plain = fixture(3);
  const strayMultiplier = { ...plain.manifest, config: { ...plain.manifest.config, ffMultiplier: 4 } };
  await assert.rejects(loadSequenceModel(strayMultiplier, plain.files), /only with block "ligr"/);
  // the weights file must match the layout it claims
  const mislabelled = { ...plain.manifest, config: { ...plain.manifest.config, block: 'ligr' } };
  await assert.rejects(loadSequenceModel(mislabelled, plain.files), /weight block0\.gate1\.w is missing.*inconsistent/);
  const model = await loadSequenceModel(manifest, files);
  assert.equal((model.config as SequenceModelConfig).block, 'ligr');
  assert.equal((model.config as SequenceModelConfig).ffMultiplier, 3);
  model.dispose();
  const shapes = new Map(sasrecParamShapes(tinyConfig({ positions: 'from-start', block: 'ligr' })));
  assert.deepEqual(shapes.get('block0.w1'), [8, 24]);
  assert.deepEqual(shapes.get('block0.w2'), [24, 8]);
  assert.deepEqual(shapes.get('block1.gate2.w'), [8, 8]);
  assert.equal(shapes.has('block0.b1'), false, 'SwiGLU without biases');
});

test('manifest relativeBias: a boolean, SASRec only; the weights must carry one [heads, maxLen] bias per block; it starts at zero and changes the scores once learned', async () => {
  const { manifest, files } = fixture(3, 'from-start', undefined, true);
  const notBoolean = { ...manifest, config: { ...manifest.config, relativeBias: 'yes' } };
  await assert.rejects(loadSequenceModel(notBoolean, files), /relativeBias must be true or false/);
  const plain = fixture(3, 'from-start');
  const mislabelled = { ...plain.manifest, config: { ...plain.manifest.config, relativeBias: true } };
  await assert.rejects(loadSequenceModel(mislabelled, plain.files), /weight block0\.rel_bias is missing.*inconsistent/);
  const shapes = new Map(sasrecParamShapes(tinyConfig({ relativeBias: true })));
  assert.deepEqual(shapes.get('block1.rel_bias'), [2, 12]);
  assert.equal(new Map(sasrecParamShapes(tinyConfig())).has('block0.rel_bias'), false);
  // initialised at zero (the other weights draw the same seeds): the plain model's scores until the bias is learned
  const histories = [Int32Array.from([7, 3, 29, 30, 1])];
  const biased = initParams(tinyConfig({ relativeBias: true }), 5);
  const unbiased = initParams(tinyConfig(), 5);
  const scores = (params: typeof biased, relativeBias: boolean): Float32Array =>
    scoreHistories(params, tinyConfig({ relativeBias }), histories).scores;
  assert.ok(maxAbsDiff(scores(biased, true), scores(unbiased, false)) < 1e-6, 'a zero bias is the plain model');
  (biased.get('block0.rel_bias') as tf.Variable).assign(
    tf.tensor2d([
      [0, -1, -2, -3, -4, -5, -6, -7, -8, -9, -10, -11],
      [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11],
    ]),
  );
  assert.ok(maxAbsDiff(scores(biased, true), scores(unbiased, false)) > 1e-3, 'a learned bias changes the scores');
  for (const v of [...biased.values(), ...unbiased.values()]) v.dispose();
});

test('manifest attention: "softmax", "silu" or "silu-mean", SASRec only; each kind scores the same weights differently, and padding in a batch still changes no score', async () => {
  const { manifest, files } = fixture(3, 'from-start', 'ligr', true, 'silu');
  await assert.rejects(
    loadSequenceModel({ ...manifest, config: { ...manifest.config, attention: 'relu' } }, files),
    /attention must be "softmax", "silu" or "silu-mean"/,
  );
  const gru = randomSequenceModel({ seed: 3, architecture: 'gru' });
  await assert.rejects(
    loadSequenceModel({ ...gru.manifest, config: { ...gru.manifest.config, attention: 'silu' } }, gru.files),
    /only with architecture "sasrec"/,
  );
  const loaded = await loadSequenceModel(manifest, files);
  assert.equal((loaded.config as SequenceModelConfig).attention, 'silu');
  loaded.dispose();
  const explicitSoftmax = await loadSequenceModel({ ...manifest, config: { ...manifest.config, attention: 'softmax' } }, files);
  assert.equal((explicitSoftmax.config as SequenceModelConfig).attention, undefined, 'softmax is the default and is not stored');
  explicitSoftmax.dispose();
  const histories = [[5], [1, 2, 3], [7, 3, 29, 30, 1, 14, 9, 2, 2, 5, 11, 18, 21, 4, 6]].map((h) => Int32Array.from(h));
  const V = tinyConfig().numItems + 1;
  const params = initParams(tinyConfig({ relativeBias: true }), 5); // the attention kind adds no weights
  const scored = (attention: AttentionKind): Float32Array => {
    const config = tinyConfig({ attention, relativeBias: true });
    const batched = scoreHistories(params, config, histories).scores;
    histories.forEach((h, b) => {
      const alone = scoreHistories(params, config, [h]).scores;
      assert.ok(maxAbsDiff(alone, batched.slice(b * V, (b + 1) * V)) < 1e-4, `${attention}, history ${b}: padding changes the scores`);
    });
    return batched;
  };
  const [softmax, silu, siluMean] = [scored('softmax'), scored('silu'), scored('silu-mean')];
  assert.ok(
    maxAbsDiff(softmax, silu) > 1e-3 && maxAbsDiff(softmax, siluMean) > 1e-3 && maxAbsDiff(silu, siluMean) > 1e-3,
    'the three attention kinds differ',
  );
  for (const v of params.values()) v.dispose();
});
