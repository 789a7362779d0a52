/**
 * `tastebud train --model mf`: biased matrix factorisation on explicit
 * ratings. Reports k-fold cross-validated RMSE (shuffled folds, like
 * surprise's cross_validate) and, with --out, writes a model directory
 * trained on all ratings (kind `ratings`: mf.bin, items.json, users.json and
 * manifest.json with every file's sha256, the config, metrics and data fingerprint).
 */
import { writeFileSync } from 'node:fs';
import { TastebudError } from '../common/errors';
import { encodeMfWeights, MF_ITEMS_FILE, MF_USERS_FILE, MF_WEIGHTS_FILE, mfConfig } from '../common/model-format/mf';
import { kFoldIndices, type MfOptions, type Ratings, rmse, subset, trainMf } from '../training/mf';
import { num } from './args';
import { readInteractions } from '../training/data';
import { writeModelDir } from '../training/model-dir';

export interface MfReport {
  model: 'mf';
  interactions: string;
  rmse: number;
  folds: number;
  foldRmse: number[];
  trainSeconds: number;
  ratings: number;
  users: number;
  items: number;
  options: MfOptions;
}

export async function trainMfCommand(file: string, values: Record<string, string | boolean | undefined>): Promise<MfReport> {
  const str = (k: string): string | undefined => (typeof values[k] === 'string' ? (values[k] as string) : undefined);
  const options: MfOptions = {
    factors: num(str('factors') ?? str('dim'), 'factors', 50, { int: true, min: 1, max: 1024 }),
    epochs: num(str('epochs'), 'epochs', 40, { int: true, min: 1 }),
    lr: num(str('lr'), 'lr', 0.007, { min: 0 }),
    reg: num(str('reg'), 'reg', 0.05, { min: 0 }),
    initStd: 0.1,
    seed: num(str('seed'), 'seed', 42, { int: true }),
  };
  const folds = num(str('folds'), 'folds', 5, { int: true, min: 1, max: 100 });
  const log = await readInteractions(file);
  const users = new Map<string, number>();
  const items = new Map<string, number>();
  const u: number[] = [];
  const it: number[] = [];
  const v: number[] = [];
  let min = Infinity;
  let max = -Infinity;
  for (const [user, list] of log.byUser) {
    for (const r of list) {
      if (r.rating === undefined)
        throw new TastebudError('invalid-argument', `${file}:${r.line}: --model mf needs explicit ratings (a third column), none found`, {
          field: `line ${r.line}`,
        });
      if (!users.has(user)) users.set(user, users.size);
      if (!items.has(r.item)) items.set(r.item, items.size);
      u.push(users.get(user) as number);
      it.push(items.get(r.item) as number);
      v.push(r.rating);
      min = Math.min(min, r.rating);
      max = Math.max(max, r.rating);
    }
  }
  options.clip = [min, max];
  const data: Ratings = { users: Int32Array.from(u), items: Int32Array.from(it), values: Float32Array.from(v) };
  const t0 = Date.now();
  const foldRmse: number[] = [];
  if (folds > 1) {
    const parts = kFoldIndices(v.length, folds, options.seed);
    for (let f = 0; f < folds; f++) {
      const trainIdx = Int32Array.from(parts.filter((_, j) => j !== f).flatMap((x) => [...x]));
      const model = trainMf(subset(data, trainIdx), users.size, items.size, options);
      foldRmse.push(rmse(model, subset(data, parts[f] as Int32Array)));
      if (values.quiet !== true) process.stderr.write(`fold ${f + 1}/${folds}: RMSE ${(foldRmse[f] as number).toFixed(4)}\n`);
    }
  }
  const trainSeconds = (Date.now() - t0) / 1000;
  const report: MfReport = {
    model: 'mf',
    interactions: file,
    rmse: foldRmse.length ? Math.round((foldRmse.reduce((a, b) => a + b, 0) / foldRmse.length) * 1e4) / 1e4 : NaN,
    folds,
    foldRmse: foldRmse.map((x) => Math.round(x * 1e4) / 1e4),
    trainSeconds: Math.round(trainSeconds * 10) / 10,
    ratings: v.length,
    users: users.size,
    items: items.size,
    options,
  };
  const out = str('out');
  if (out) {
    const m = trainMf(data, users.size, items.size, options);
    const json = (v: unknown): Uint8Array => new TextEncoder().encode(JSON.stringify(v));
    writeModelDir(
      out,
      [
        { path: MF_WEIGHTS_FILE, bytes: encodeMfWeights(m) },
        { path: MF_ITEMS_FILE, bytes: json([...items.keys()]) },
        { path: MF_USERS_FILE, bytes: json([...users.keys()]) },
      ],
      {
        kind: 'ratings',
        name: 'biased-mf',
        config: { ...mfConfig(m) },
        metadata: { training: options, metrics: { ...report, options: undefined }, data: log.fingerprint },
      },
    );
  }
  const json = str('json');
  if (json) writeFileSync(json, `${JSON.stringify(report, null, 2)}\n`);
  process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
  return report;
}
