import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { readModelDir } from '../training/model-dir';
import { isTastebudError } from '../common/errors';
import { decodeMfWeights, foldInUser, MF_ITEMS_FILE, MF_WEIGHTS_FILE, predictFolded } from '../common/model-format/mf';
import { kFoldIndices, predictMf, type Ratings, rmse, subset, trainMf } from '../training/mf';
import { mulberry32 } from '../common/random';

/** Ratings with biases plus a rank-2 interaction term. */
function lowRank(U: number, I: number, seed: number, density = 0.5): Ratings {
  const random = mulberry32(seed);
  const k = 2;
  const pu = Array.from({ length: U * k }, () => random() * 2 - 1);
  const qi = Array.from({ length: I * k }, () => random() * 2 - 1);
  const users: number[] = [];
  const items: number[] = [];
  const values: number[] = [];
  for (let u = 0; u < U; u++)
    for (let i = 0; i < I; i++) {
      if (random() > density) continue;
      users.push(u);
      items.push(i);
      values.push(3 + 0.3 * (u % 3) - 0.2 * (i % 4) + (pu[u * k]! * qi[i * k]! + pu[u * k + 1]! * qi[i * k + 1]!));
    }
  return { users: Int32Array.from(users), items: Int32Array.from(items), values: Float32Array.from(values) };
}

test('k-fold indices partition all ratings', () => {
  const folds = kFoldIndices(103, 5, 1);
  assert.equal(folds.length, 5);
  const all = folds.flatMap((f) => [...f]).sort((a, b) => a - b);
  assert.deepEqual(
    all,
    Array.from({ length: 103 }, (_, i) => i),
  );
});

test('biased MF recovers a low-rank rating matrix better than the global mean', () => {
  const random = mulberry32(9);
  const U = 60;
  const I = 40;
  const k = 2;
  const pu = Array.from({ length: U * k }, () => random() * 2 - 1);
  const qi = Array.from({ length: I * k }, () => random() * 2 - 1);
  const users: number[] = [];
  const items: number[] = [];
  const values: number[] = [];
  for (let u = 0; u < U; u++)
    for (let i = 0; i < I; i++) {
      if (random() < 0.5) continue;
      users.push(u);
      items.push(i);
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

test('folding a new user in from their own ratings predicts their other ratings better than the biases', () => {
  const data = lowRank(80, 40, 21, 0.7);
  const isNew = (u: number): boolean => u >= 60;
  const trainIdx = Int32Array.from([...data.users.keys()].filter((r) => !isNew(data.users[r]!)));
  const m = trainMf(subset(data, trainIdx), 60, 40, { factors: 4, epochs: 200, lr: 0.02, reg: 0.01, seed: 3 });
  let errFold = 0;
  let errBias = 0;
  let n = 0;
  for (let u = 60; u < 80; u++) {
    const rows = [...data.users.keys()].filter((r) => data.users[r] === u);
    const known = rows.filter((_, j) => j % 2 === 0);
    const held = rows.filter((_, j) => j % 2 === 1);
    const user = foldInUser(
      m,
      known.map((r) => [data.items[r]!, data.values[r]!] as const),
      0.05,
    );
    for (const r of held) {
      const truth = data.values[r]!;
      errFold += (predictFolded(m, user, data.items[r]!) - truth) ** 2;
      errBias += (predictMf(m, -1, data.items[r]!) - truth) ** 2;
      n++;
    }
  }
  const fold = Math.sqrt(errFold / n);
  const bias = Math.sqrt(errBias / n);
  assert.ok(fold < bias * 0.8, `fold-in RMSE ${fold} vs item-bias RMSE ${bias}`);
});

test('train --model mf --out writes a verified ratings model directory', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'tastebud-mf-'));
  const data = lowRank(30, 20, 5);
  const lines = ['user,item,rating'];
  data.users.forEach((u, r) => lines.push(`u${u},i${data.items[r]},${data.values[r]!.toFixed(3)}`));
  writeFileSync(join(dir, 'ratings.csv'), `${lines.join('\n')}\n`);
  const out = join(dir, 'model');
  const r = spawnSync(
    process.execPath,
    [
      '--import',
      'tsx',
      'cli/index.ts',
      'train',
      '--model',
      'mf',
      '--interactions',
      join(dir, 'ratings.csv'),
      '--out',
      out,
      '--folds',
      '2',
      '--factors',
      '4',
      '--epochs',
      '200',
      '--lr',
      '0.02',
      '--reg',
      '0.01',
    ],
    { encoding: 'utf8', timeout: 120_000 },
  );
  assert.equal(r.status, 0, r.stderr);
  const { manifest, files } = await readModelDir(out, 'ratings');
  assert.equal(manifest.name, 'biased-mf');
  assert.deepEqual(manifest.files.map((f) => f.path).sort(), ['items.json', 'mf.bin', 'users.json']);
  assert.equal((manifest.metadata as { data: { interactions: number } }).data.interactions, data.values.length);
  const model = decodeMfWeights(manifest.config, files.get(MF_WEIGHTS_FILE)!);
  const itemIds = JSON.parse(new TextDecoder().decode(files.get(MF_ITEMS_FILE)!)) as string[];
  assert.equal(itemIds.length, model.numItems);
  const mean = data.values.reduce((a, b) => a + b, 0) / data.values.length;
  const baseline = Math.sqrt(data.values.reduce((s, v) => s + (v - mean) ** 2, 0) / data.values.length);
  const users = JSON.parse(readFileSync(join(out, 'users.json'), 'utf8')) as string[];
  const remapped: Ratings = {
    users: Int32Array.from(data.users, (u) => users.indexOf(`u${u}`)),
    items: Int32Array.from(data.items, (i) => itemIds.indexOf(`i${i}`)),
    values: data.values,
  };
  const fit = rmse(model, remapped);
  assert.ok(fit < baseline * 0.7, `stored weights: RMSE ${fit} vs global mean ${baseline}`);
  writeFileSync(join(out, 'mf.bin'), new Uint8Array(16));
  await assert.rejects(readModelDir(out, 'ratings'), (e: unknown) => isTastebudError(e) && e.code === 'model-integrity');
  assert.throws(() => decodeMfWeights(manifest.config, new ArrayBuffer(8)), /mf\.bin has 8 bytes/);
});
