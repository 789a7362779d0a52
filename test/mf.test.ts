import assert from 'node:assert/strict';
import { test } from 'node:test';
import { kFoldIndices, predictMf, type Ratings, rmse, subset, trainMf } from '../workers/models/mf/mf';
import { rng } from '../workers/models/sequence/train';

test('k-fold indices partition all ratings', () => {
  const folds = kFoldIndices(103, 5, 1);
  assert.equal(folds.length, 5);
  const all = folds.flatMap((f) => [...f]).sort((a, b) => a - b);
  assert.deepEqual(all, Array.from({ length: 103 }, (_, i) => i));
});

test('biased MF recovers a low-rank rating matrix better than the global mean', () => {
  const random = rng(9);
  const U = 60; const I = 40; const k = 2;
  const pu = Array.from({ length: U * k }, () => random() * 2 - 1);
  const qi = Array.from({ length: I * k }, () => random() * 2 - 1);
  const users: number[] = []; const items: number[] = []; const values: number[] = [];
  for (let u = 0; u < U; u++) for (let i = 0; i < I; i++) {
    if (random() < 0.5) continue;
    users.push(u); items.push(i);
    values.push(3 + 0.3 * (u % 3) - 0.2 * (i % 4) + (pu[u * k]! * qi[i * k]! + pu[u * k + 1]! * qi[i * k + 1]!));
  }
  const data: Ratings = { users: Int32Array.from(users), items: Int32Array.from(items), values: Float32Array.from(values) };
  const [testIdx, ...rest] = kFoldIndices(values.length, 5, 2);
  const train = subset(data, Int32Array.from(rest.flatMap((f) => [...f])));
  const test = subset(data, testIdx!);
  const m = trainMf(train, U, I, { factors: 4, epochs: 200, lr: 0.02, reg: 0.01, seed: 1 });
  const mean = train.values.reduce((a, b) => a + b, 0) / train.values.length;
  const baseline = Math.sqrt(test.values.reduce((s, v) => s + (v - mean) ** 2, 0) / test.values.length);
  const err = rmse(m, test);
  assert.ok(err < baseline * 0.5, `rmse ${err} vs mean baseline ${baseline}`);
  // unknown user/item fall back to biases
  assert.ok(Number.isFinite(predictMf(m, -1, 3)));
  const clipped = trainMf(train, U, I, { factors: 2, epochs: 2, clip: [1, 2] });
  assert.ok(predictMf(clipped, 0, 0) <= 2);
});
