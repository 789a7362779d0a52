/**
 * `tastebud ensemble`: combines trained sequence models (same interactions,
 * hence the same item vocabulary) into one model directory that `eval`,
 * `blend` and the worker load like any sequence model; its scores are the
 * mean of the members' log-softmax, plus, with `--transitions`, the weighted
 * log-probability of an item-transition table counted on the same training data.
 */
import { parseArgs } from 'node:util';
import { TastebudError } from '../common/errors';
import { composeEnsemble, ENSEMBLE_NAME } from '../common/model-format/ensemble';
import { parseVocabulary } from '../common/model-format/sequence';
import { buildTransitions, TRANSITION_DEFAULTS, type TransitionsConfig } from '../common/model-format/transitions';
import { num, required, resolveInteractions } from './args';
import { leaveOneOut, readInteractions, toSequences } from '../training/data';
import { readModelDir, writeModelDir } from '../training/model-dir';

export const ENSEMBLE_USAGE = `Usage: tastebud ensemble --model <dir> --model <dir> [--model <dir> ...] --out <dir> [options]
  --model <dir>   a trained sasrec or gru model directory (at least two, or one with --transitions; all trained on
                  the same interactions)
  --out <dir>     where to write the ensemble model directory
  --transitions <file|ml-1m|ml-100k>  also count item-to-item transitions in the training part of these
                  interactions (each user's last two items held out, as in training) and add their weighted
                  log-probability to the members' mean log-softmax
  --data-dir <dir>              where dataset names are looked up (default ../shared/datasets)
  --transitions-recent ${TRANSITION_DEFAULTS.recent}       how many of the newest history items vote
  --transitions-decay ${TRANSITION_DEFAULTS.decay}       vote of each older item relative to the next newer one
  --transitions-smoothing ${TRANSITION_DEFAULTS.smoothing}   popularity pseudo-count added to every item's row
  --transitions-weight ${TRANSITION_DEFAULTS.weight}      weight of the transition log-probability (members' mean has weight 1)`;

export interface EnsembleSummary {
  out: string;
  members: number;
  version: string;
  bytes: number;
  transitionPairs?: number;
}

type Source = Awaited<ReturnType<typeof readModelDir>> & { name: string; dir: string };

type TransitionFlags = {
  [K in 'transitions' | 'data-dir' | 'transitions-recent' | 'transitions-decay' | 'transitions-smoothing' | 'transitions-weight']?: string;
};

async function transitionsFor(
  sources: readonly Source[],
  values: TransitionFlags,
): Promise<{ bytes: Uint8Array; config: Omit<TransitionsConfig, 'path'>; source: Record<string, unknown> }> {
  const file = resolveInteractions(values.transitions as string, values['data-dir']);
  const first = sources[0] as Source;
  const numItems = (first.manifest.config as { numItems: number }).numItems;
  const vocabPath = (first.manifest.config as { vocabulary: string }).vocabulary;
  const vocabBytes = first.files.get(vocabPath);
  if (!vocabBytes) throw new TastebudError('model-load', `${first.name}: model file ${vocabPath} is missing`, { field: vocabPath });
  const itemIds = parseVocabulary(vocabBytes, numItems);
  const log = await readInteractions(file);
  for (const s of sources) {
    const trained = (s.manifest.metadata?.data as { sha256?: string } | undefined)?.sha256;
    if (trained !== undefined && trained !== log.fingerprint.sha256) {
      throw new TastebudError(
        'invalid-argument',
        `--transitions ${file} is not the file ${s.name} was trained on (sha256 ${log.fingerprint.sha256.slice(0, 12)}… vs ${trained.slice(0, 12)}…); count transitions on the members' training interactions`,
        { field: 'transitions' },
      );
    }
  }
  const { train } = leaveOneOut(toSequences(log, itemIds).seqs);
  const { bytes, pairs } = buildTransitions(train, numItems);
  const config = {
    pairs,
    recent: num(values['transitions-recent'], 'transitions-recent', TRANSITION_DEFAULTS.recent, { int: true, min: 1 }),
    decay: num(values['transitions-decay'], 'transitions-decay', TRANSITION_DEFAULTS.decay, { min: 0, max: 1 }),
    smoothing: num(values['transitions-smoothing'], 'transitions-smoothing', TRANSITION_DEFAULTS.smoothing, { min: 1e-6 }),
    weight: num(values['transitions-weight'], 'transitions-weight', TRANSITION_DEFAULTS.weight, { min: 0, max: 1000 }),
  };
  return { bytes, config, source: { file, sha256: log.fingerprint.sha256, split: "each user's interactions but the last two" } };
}

export async function ensembleCommand(argv: string[]): Promise<EnsembleSummary> {
  const { values } = parseArgs({
    args: argv,
    options: {
      model: { type: 'string', multiple: true },
      out: { type: 'string' },
      transitions: { type: 'string' },
      'data-dir': { type: 'string' },
      'transitions-recent': { type: 'string' },
      'transitions-decay': { type: 'string' },
      'transitions-smoothing': { type: 'string' },
      'transitions-weight': { type: 'string' },
    },
    strict: true,
  });
  const dirs = values.model ?? [];
  const out = required(values.out, 'out', ENSEMBLE_USAGE);
  const withTransitions = values.transitions !== undefined;
  if (!withTransitions) {
    for (const flag of ['transitions-recent', 'transitions-decay', 'transitions-smoothing', 'transitions-weight'] as const) {
      if (values[flag] !== undefined)
        throw new TastebudError('invalid-argument', `--${flag} needs --transitions <interactions>`, { field: flag });
    }
  }
  const least = withTransitions ? 1 : 2;
  if (dirs.length < least)
    throw new TastebudError(
      'invalid-argument',
      `--model must be given at least ${least === 1 ? 'once' : 'twice'} (got ${dirs.length})\n${ENSEMBLE_USAGE}`,
      { field: 'model' },
    );
  if (dirs.includes(out))
    throw new TastebudError('invalid-argument', `--out ${out} is one of the members; write the ensemble to a new directory`, {
      field: 'out',
    });
  const sources: Source[] = [];
  for (const dir of dirs) sources.push({ name: `--model ${dir}`, dir, ...(await readModelDir(dir, 'sequence')) });
  const transitions = withTransitions ? await transitionsFor(sources, values) : undefined;
  const { config, files } = composeEnsemble(sources, transitions);
  const members = sources.map((s) => ({
    source: s.dir,
    name: s.manifest.name,
    version: s.manifest.version,
    ...(s.manifest.metadata?.metrics !== undefined ? { metrics: s.manifest.metadata.metrics } : {}),
    ...(s.manifest.metadata?.training !== undefined ? { training: s.manifest.metadata.training } : {}),
  }));
  const metadata = { members, ...(transitions ? { transitions: transitions.source } : {}) };
  const manifest = writeModelDir(out, files, { kind: 'sequence', name: ENSEMBLE_NAME, config: { ...config }, metadata });
  const bytes = manifest.files.reduce((n, f) => n + f.bytes, 0);
  const extra = transitions ? ` + ${transitions.config.pairs} item transitions (weight ${transitions.config.weight})` : '';
  process.stdout.write(
    `ensemble of ${dirs.length} model${dirs.length === 1 ? '' : 's'}${extra} (${config.numItems} items, ${(bytes / 1e6).toFixed(1)} MB) written to ${out}\n`,
  );
  return {
    out,
    members: dirs.length,
    version: manifest.version,
    bytes,
    ...(transitions ? { transitionPairs: transitions.config.pairs } : {}),
  };
}
