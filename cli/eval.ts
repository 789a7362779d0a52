/**
 * `tastebud eval`: leave-one-out HR/NDCG@5/10/20 of a model directory (or of
 * an ensemble of several, `--model` repeated) plus the popularity baseline.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { TastebudError } from '../common/errors';
import { checkSameVocabulary, meanLogSoftmax } from '../common/model-format/ensemble';
import { loadSequenceModel, type SequenceModel } from '../training/sequence/trained-model';
import { num, required, resolveInteractions } from './args';
import { setupBackend } from '../training/backend';
import { leaveOneOut, readInteractions, toSequences } from '../training/data';
import { type BatchScorer, evaluateLeaveOneOut, popularityScorer, type RankingMetrics, round4 } from '../training/metrics';
import { readModelDir } from '../training/model-dir';

export const EVAL_USAGE = `Usage: tastebud eval --model <dir> [--model <dir> ...] --interactions <file|ml-1m|ml-100k> [options]
  --model <dir>        a model directory; repeat it to evaluate the ensemble of several models trained on
                       the same interactions (the mean of their log-softmax scores)
  --data-dir <dir>     where dataset names are looked up (default ../shared/datasets)
  --split test|valid   which held-out item to rank (default test)
  --json <file>        where to write the results (default <model dir>/eval.json; an ensemble:
                       <first model dir>/eval-ensemble.json)
  --batch-size 256 --backend wasm|cpu`;

export interface EvalReport {
  /** The model directory; for an ensemble, the members' directories joined with ' + '. */
  model: string;
  /** Ensembles only: the member directories, in --model order. */
  members?: string[];
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
      model: { type: 'string', multiple: true },
      interactions: { type: 'string' },
      'data-dir': { type: 'string' },
      split: { type: 'string' },
      json: { type: 'string' },
      'batch-size': { type: 'string' },
      backend: { type: 'string' },
    },
    strict: true,
  });
  const dirs = values.model ?? [];
  required(dirs[0], 'model', EVAL_USAGE);
  const file = resolveInteractions(required(values.interactions, 'interactions', EVAL_USAGE), values['data-dir']);
  const split = values.split ?? 'test';
  if (split !== 'test' && split !== 'valid')
    throw new TastebudError('invalid-argument', `--split must be test or valid, got "${split}"`, { field: 'split' });
  const batchSize = num(values['batch-size'], 'batch-size', 256, { int: true, min: 1 });
  const backend = await setupBackend(values.backend ?? 'wasm');
  const t0 = Date.now();
  const models: SequenceModel[] = [];
  try {
    for (const dir of dirs) {
      const { manifest, files } = await readModelDir(dir);
      models.push(await loadSequenceModel(manifest, files));
    }
    checkSameVocabulary(models.map((m, i) => ({ name: `--model ${dirs[i]}`, itemIds: m.itemIds })));
    return await evaluateModels(models, { dirs, file, split, batchSize, backend, t0, json: values.json });
  } finally {
    for (const m of models) m.dispose();
  }
}

interface EvalRun {
  dirs: readonly string[];
  file: string;
  split: 'test' | 'valid';
  batchSize: number;
  backend: string;
  t0: number;
  json: string | undefined;
}

async function evaluateModels(
  models: readonly SequenceModel[],
  { dirs, file, split, batchSize, backend, t0, json }: EvalRun,
): Promise<EvalReport> {
  const model = models[0] as SequenceModel;
  const log = await readInteractions(file);
  const { seqs, unknown } = toSequences(log, model.itemIds);
  const { train, evalUsers } = leaveOneOut(seqs);
  if (evalUsers.length === 0)
    throw new TastebudError('invalid-argument', `${file}: no user has 3 interactions with items known to the model`, {
      field: 'interactions',
    });
  const n = model.config.numItems;
  const score: BatchScorer =
    models.length === 1
      ? (h) => model.scoreBatch(h)
      : (h) =>
          meanLogSoftmax(
            models.map((m) => m.scoreBatch(h)),
            h.length,
            n + 1,
          );
  const m = evaluateLeaveOneOut(score, n, seqs, evalUsers, split, batchSize);
  const pop = evaluateLeaveOneOut(popularityScorer(train, n), n, seqs, evalUsers, split, batchSize);
  const ensemble = models.length > 1;
  const report: EvalReport = {
    model: dirs.join(' + '),
    ...(ensemble ? { members: [...dirs] } : {}),
    interactions: file,
    split,
    protocol: 'leave-one-out, full ranking, seen masked',
    users: evalUsers.length,
    unknownInteractions: unknown,
    backend,
    seconds: Math.round((Date.now() - t0) / 100) / 10,
    metrics: { model: round4(m), popularity: round4(pop) },
  };
  const out = json ?? join(dirs[0] as string, ensemble ? 'eval-ensemble.json' : 'eval.json');
  writeFileSync(out, `${JSON.stringify(report, null, 2)}\n`);
  const row = (name: string, r: RankingMetrics): string =>
    `${name.padEnd(12)} ${[r.hr5, r.hr10, r.hr20, r.ndcg5, r.ndcg10, r.ndcg20].map((x) => x.toFixed(4).padStart(8)).join(' ')}`;
  process.stdout.write(
    [
      `${split} metrics, ${evalUsers.length} users, ${n} items (full ranking, seen masked)${unknown ? `; ${unknown} interactions with unknown items skipped` : ''}`,
      `${''.padEnd(12)} ${['HR@5', 'HR@10', 'HR@20', 'NDCG@5', 'NDCG@10', 'NDCG@20'].map((x) => x.padStart(8)).join(' ')}`,
      row(ensemble ? `ensemble of ${models.length}` : model.manifest.name, report.metrics.model),
      row('popularity', report.metrics.popularity),
      `written to ${out}`,
      '',
    ].join('\n'),
  );
  return report;
}
