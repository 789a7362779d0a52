/**
 * `tastebud ensemble`: combines trained sequence models (same interactions,
 * hence the same item vocabulary) into one model directory that `eval`,
 * `blend` and the worker load like any sequence model; its scores are the
 * mean of the members' log-softmax.
 */
import { parseArgs } from 'node:util';
import { TastebudError } from '../lib/errors';
import { composeEnsemble, ENSEMBLE_NAME } from '../workers/models/sequence/ensemble';
import { required } from './args';
import { readModelDir, writeModelDir } from './model-dir';

export const ENSEMBLE_USAGE = `Usage: tastebud ensemble --model <dir> --model <dir> [--model <dir> ...] --out <dir>
  --model <dir>   a trained sasrec or gru model directory (at least two, all trained on the same interactions)
  --out <dir>     where to write the ensemble model directory`;

export interface EnsembleSummary { out: string; members: number; version: string; bytes: number }

export async function ensembleCommand(argv: string[]): Promise<EnsembleSummary> {
  const { values } = parseArgs({ args: argv, options: { model: { type: 'string', multiple: true }, out: { type: 'string' } }, strict: true });
  const dirs = values.model ?? [];
  const out = required(values.out, 'out', ENSEMBLE_USAGE);
  if (dirs.length < 2) throw new TastebudError('invalid-argument', `--model must be given at least twice (got ${dirs.length})\n${ENSEMBLE_USAGE}`, { field: 'model' });
  if (dirs.includes(out)) throw new TastebudError('invalid-argument', `--out ${out} is one of the members; write the ensemble to a new directory`, { field: 'out' });
  const sources = [];
  for (const dir of dirs) sources.push({ name: `--model ${dir}`, dir, ...(await readModelDir(dir, 'sequence')) });
  const { config, files } = composeEnsemble(sources);
  const members = sources.map((s) => ({
    source: s.dir, name: s.manifest.name, version: s.manifest.version,
    ...(s.manifest.metadata?.metrics !== undefined ? { metrics: s.manifest.metadata.metrics } : {}),
    ...(s.manifest.metadata?.training !== undefined ? { training: s.manifest.metadata.training } : {}),
  }));
  const manifest = writeModelDir(out, files, { kind: 'sequence', name: ENSEMBLE_NAME, config: { ...config }, metadata: { members } });
  const bytes = manifest.files.reduce((n, f) => n + f.bytes, 0);
  process.stdout.write(`ensemble of ${dirs.length} models (${config.numItems} items, ${(bytes / 1e6).toFixed(1)} MB) written to ${out}\n`);
  return { out, members: dirs.length, version: manifest.version, bytes };
}
