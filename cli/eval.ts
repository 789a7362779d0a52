/** `tastebud eval`: leave-one-out HR/NDCG@5/10/20 of a model directory plus the popularity baseline. */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { TastebudError } from '../lib/errors';
import { loadSequenceModel } from '../workers/models/sequence/index';
import { scoreHistories } from '../workers/models/sequence/infer';
import { num, required, resolveInteractions } from './args';
import { setupBackend } from './backend';
import { leaveOneOut, readInteractions, toSequences } from './data';
import { evaluateLeaveOneOut, popularityScorer, type RankingMetrics, round4 } from './metrics';
import { readModelDir } from './model-dir';

export const EVAL_USAGE = `Usage: tastebud eval --model <dir> --interactions <file|ml-1m|ml-100k> [options]
  --data-dir <dir>     where dataset names are looked up (default ../shared/datasets)
  --split test|valid   which held-out item to rank (default test)
  --json <file>        where to write the results (default <model dir>/eval.json)
  --batch-size 256 --backend wasm|cpu`;

export interface EvalReport {
  model: string;
  interactions: string;
  split: 'test' | 'valid';
  protocol: string;
  users: number;
  unknownInteractions: number;
  backend: string;
  seconds: number;
  metrics: { model: RankingMetrics; popularity: RankingMetrics };
}

export async function evalCommand(argv: string[]): Promise<EvalReport> {
  const { values } = parseArgs({
    args: argv,
    options: {
      model: { type: 'string' }, interactions: { type: 'string' }, 'data-dir': { type: 'string' }, split: { type: 'string' },
      json: { type: 'string' }, 'batch-size': { type: 'string' }, backend: { type: 'string' },
    },
    strict: true,
  });
  const dir = required(values.model, 'model', EVAL_USAGE);
  const file = resolveInteractions(required(values.interactions, 'interactions', EVAL_USAGE), values['data-dir']);
  const split = values.split ?? 'test';
  if (split !== 'test' && split !== 'valid') throw new TastebudError('invalid-argument', `--split must be test or valid, got "${split}"`, { field: 'split' });
  const batchSize = num(values['batch-size'], 'batch-size', 256, { int: true, min: 1 });
  const backend = await setupBackend(values.backend ?? 'wasm');
  const t0 = Date.now();
  const { manifest, files } = await readModelDir(dir);
  const model = await loadSequenceModel(manifest, files);
  const log = await readInteractions(file);
  const { seqs, unknown } = toSequences(log, model.itemIds);
  const { train, evalUsers } = leaveOneOut(seqs);
  if (evalUsers.length === 0) throw new TastebudError('invalid-argument', `${file}: no user has 3 interactions with items known to the model`, { field: 'interactions' });
  const n = model.config.numItems;
  // score through the model's own parameters in batches (same code path as score())
  const params = (model as unknown as { params: Parameters<typeof scoreHistories>[0] }).params;
  const m = evaluateLeaveOneOut((h) => scoreHistories(params, model.config, h).scores, n, seqs, evalUsers, split, batchSize);
  const pop = evaluateLeaveOneOut(popularityScorer(train, n), n, seqs, evalUsers, split, batchSize);
  model.dispose();
  const report: EvalReport = {
    model: dir, interactions: file, split, protocol: 'leave-one-out, full ranking, seen masked',
    users: evalUsers.length, unknownInteractions: unknown, backend, seconds: Math.round((Date.now() - t0) / 100) / 10,
    metrics: { model: round4(m), popularity: round4(pop) },
  };
  const out = values.json ?? join(dir, 'eval.json');
  writeFileSync(out, `${JSON.stringify(report, null, 2)}\n`);
  const row = (name: string, r: RankingMetrics): string => `${name.padEnd(12)} ${[r.hr5, r.hr10, r.hr20, r.ndcg5, r.ndcg10, r.ndcg20].map((x) => x.toFixed(4).padStart(8)).join(' ')}`;
  process.stdout.write([
    `${split} metrics, ${evalUsers.length} users, ${n} items (full ranking, seen masked)${unknown ? `; ${unknown} interactions with unknown items skipped` : ''}`,
    `${''.padEnd(12)} ${['HR@5', 'HR@10', 'HR@20', 'NDCG@5', 'NDCG@10', 'NDCG@20'].map((x) => x.padStart(8)).join(' ')}`,
    row(manifest.name, report.metrics.model), row('popularity', report.metrics.popularity), `written to ${out}`, '',
  ].join('\n'));
  return report;
}
