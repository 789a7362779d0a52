import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { initParams, type ParamMap, type SequenceArchConfig } from '../training/sequence/model';
import { type TrainOptions, trainSequenceModel } from '../training/sequence/train';
import { averageDecayAt, snapshot, WeightAverage, type WeightSnapshot } from '../training/sequence/weight-average';
import { cycle } from './sequence-fixtures';

before(async () => {
  await tf.setBackend('cpu');
  await tf.ready();
});

const maxDiff = (a: WeightSnapshot, b: WeightSnapshot): number => {
  let m = 0;
  for (const [k, x] of a) {
    const y = b.get(k) as Float32Array;
    for (let i = 0; i < x.length; i++) m = Math.max(m, Math.abs((x[i] as number) - (y[i] as number)));
  }
  return m;
};

test('the weight average follows avg = d·avg + (1 − d)·w with the warm-up decay, and withAverage puts the live weights back', async () => {
  assert.equal(averageDecayAt(0.999, 0), 0.1);
  assert.equal(averageDecayAt(0.999, 8), 0.5);
  assert.equal(averageDecayAt(0.9, 1e6), 0.9);
  const w = tf.variable(tf.tensor([1, -2]));
  const params: ParamMap = new Map([['w', w]]);
  const average = new WeightAverage(params, 0.5);
  let expected = [1, -2];
  for (const [step, value] of [
    [0, [3, 0]],
    [1, [5, 4]],
    [2, [-1, 2]],
  ] as const) {
    w.assign(tf.tensor([...value]));
    average.update(params);
    const d = averageDecayAt(0.5, step);
    expected = expected.map((a, i) => d * a + (1 - d) * (value[i] as number));
  }
  const got = average.average.get('w') as Float32Array;
  expected.forEach((x, i) => assert.ok(Math.abs((got[i] as number) - x) < 1e-6));
  const seen = await average.withAverage(params, () => Array.from(w.dataSync()));
  assert.deepEqual(seen, Array.from(got));
  assert.deepEqual(Array.from(w.dataSync()), [-1, 2], 'the live weights are back');
  await assert.rejects(
    average.withAverage(params, () => {
      throw new Error('validation failed');
    }),
    /validation failed/,
  );
  assert.deepEqual(Array.from(w.dataSync()), [-1, 2], 'also after a throw');
  w.dispose();
});

test('training with --weight-average: validation sees the average, training continues from the live weights, the average is returned, no leaks', async () => {
  const n = 8;
  const config: SequenceArchConfig = { architecture: 'sasrec', numItems: n, dim: 8, maxLen: 6, blocks: 1, heads: 2, dropout: 0 };
  const seqs = Array.from({ length: 32 }, (_, u) => cycle(n, u % n, 5 + (u % 4)));
  const opts: TrainOptions = {
    epochs: 4,
    batchSize: 16,
    lr: 0.02,
    seed: 3,
    sampledNegatives: 0,
    evalEvery: 2,
    patience: 5,
    maxSeconds: 120,
  };

  const plainLosses: number[] = [];
  const plain = initParams(config, 7);
  await trainSequenceModel(plain, config, seqs, opts, { validate: () => 0, onStep: (i) => plainLosses.push(i.loss) });
  for (const v of plain.values()) v.dispose();

  const decay = 0.9;
  const params = initParams(config, 7);
  const expected = snapshot(params);
  let updates = 0;
  const losses: number[] = [];
  const validated: WeightSnapshot[] = [];
  const tensorsBefore = tf.memory().numTensors;
  await trainSequenceModel(
    params,
    config,
    seqs,
    { ...opts, weightAverage: decay },
    {
      onStep: (i) => {
        losses.push(i.loss);
        const live = snapshot(params);
        const d = averageDecayAt(decay, updates++);
        for (const [k, avg] of expected) {
          const x = live.get(k) as Float32Array;
          for (let j = 0; j < avg.length; j++) avg[j] = d * (avg[j] as number) + (1 - d) * (x[j] as number);
        }
      },
      validate: (p) => {
        const seen = snapshot(p);
        assert.ok(maxDiff(seen, expected) < 1e-5, 'validation sees the moving average');
        validated.push(seen);
        // later validations score worse, so the first checkpoint is the one kept
        return 1 / validated.length;
      },
    },
  );
  assert.deepEqual(losses, plainLosses, 'the average does not change the training trajectory');
  assert.equal(validated.length, 2);
  assert.ok(maxDiff(validated[0] as WeightSnapshot, validated[1] as WeightSnapshot) > 1e-4);
  assert.ok(maxDiff(snapshot(params), validated[0] as WeightSnapshot) < 1e-7, 'the best validated average is returned');
  assert.ok(tf.memory().numTensors <= tensorsBefore, 'no tensor left behind');
  for (const v of params.values()) v.dispose();
});
