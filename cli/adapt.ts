/**
 * `tastebud adapt-eval`: does on-device fine-tuning help? For a sample of
 * users, rank their held-out test item before and after fine-tuning the
 * model on their own history (everything but the test item), restoring the
 * shipped weights between users. It runs the worker's own model code and
 * fine-tuning function, so it measures what adapt() does in the browser.
 */
import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { DEFAULTS } from '../common/defaults';
import { TastebudError } from '../common/errors';
import { fineTune } from '../workers/models/fine-tune';
import { loadSequenceServer } from '../workers/models/serving/load';
import { mulberry32 } from '../common/random';
import { num, required, resolveInteractions } from './args';
import { setupBackend } from '../training/backend';
import { leaveOneOut, readInteractions, toSequences } from '../training/data';
import { MetricAccumulator, rankOfTarget, round4 } from '../training/metrics';
import { readModelDir } from '../training/model-dir';

export const ADAPT_USAGE = `Usage: tastebud adapt-eval --model <dir> --interactions <file|ml-1m> [--users 200] [--steps ${DEFAULTS.adapt.steps}] [--lr ${DEFAULTS.adapt.lr}] [--json <file>]`;

export async function adaptCommand(argv: string[]): Promise<void> {
  const { values } = parseArgs({
    args: argv,
    options: {
      model: { type: 'string' },
      interactions: { type: 'string' },
      'data-dir': { type: 'string' },
      users: { type: 'string' },
      steps: { type: 'string' },
      lr: { type: 'string' },
      seed: { type: 'string' },
      json: { type: 'string' },
      backend: { type: 'string' },
    },
    strict: true,
  });
  const dir = required(values.model, 'model', ADAPT_USAGE);
  const file = resolveInteractions(required(values.interactions, 'interactions', ADAPT_USAGE), values['data-dir']);
  const sample = num(values.users, 'users', 200, { int: true, min: 1 });
  const steps = num(values.steps, 'steps', DEFAULTS.adapt.steps, { int: true, min: 1 });
  const lr = num(values.lr, 'lr', DEFAULTS.adapt.lr, { min: 0 });
  const seed = num(values.seed, 'seed', 7, { int: true });
  const backend = await setupBackend(values.backend ?? 'wasm');
  const { manifest, files } = await readModelDir(dir);
  const model = await loadSequenceServer(manifest, files);
  const { seqs } = toSequences(await readInteractions(file), model.itemIds);
  const { evalUsers } = leaveOneOut(seqs);
  if (evalUsers.length === 0) throw new TastebudError('invalid-argument', 'no user with 3 known interactions', { field: 'interactions' });
  const random = mulberry32(seed);
  const pool = [...evalUsers];
  for (let i = pool.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [pool[i], pool[j]] = [pool[j] as number, pool[i] as number];
  }
  const chosen = pool.slice(0, sample);
  const before = new MetricAccumulator();
  const after = new MetricAccumulator();
  let better = 0;
  let worse = 0;
  const t0 = Date.now();
  const n = model.config.numItems;
  for (const u of chosen) {
    const s = seqs[u] as Int32Array;
    const input = s.subarray(0, s.length - 1);
    const target = s[s.length - 1] as number;
    const r0 = rankOfTarget((await model.score(input)).scores, target, input, n);
    await fineTune(model, input, { steps, lr });
    const r1 = rankOfTarget((await model.score(input)).scores, target, input, n);
    model.resetWeights();
    before.add(r0);
    after.add(r1);
    if (r1 < r0) better++;
    else if (r1 > r0) worse++;
  }
  model.dispose();
  const report = {
    model: dir,
    users: chosen.length,
    steps,
    lr,
    backend,
    seconds: Math.round((Date.now() - t0) / 100) / 10,
    before: round4(before.result()),
    after: round4(after.result()),
    rankImproved: better,
    rankWorsened: worse,
  };
  if (values.json) writeFileSync(values.json, `${JSON.stringify(report, null, 2)}\n`);
  process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
}
