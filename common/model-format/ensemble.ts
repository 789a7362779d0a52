/**
 * Score ensembles of sequence models trained on one item vocabulary. Each
 * member's logits become log-probabilities (log-softmax over items
 * 1..numItems; column 0 is padding) and the ensemble's score is their mean:
 * the log of the members' normalised geometric-mean distribution, up to a
 * constant. Averaging log-probabilities rather than raw logits keeps a member
 * with larger logits from outvoting the others.
 */
import { TastebudError } from '../errors';
import type { ModelManifest } from './manifest';
import { parseSequenceConfig, parseVocabulary, type SequenceModelConfig, VOCAB_FILE } from './sequence';
import { addTransitionScores, parseTransitionsConfig, type TransitionTable, type TransitionsConfig, TRANSITIONS_FILE } from './transitions';

/** Adds `weight` × log-softmax of each row of `scores` (rows × width, column 0 ignored) into `sum`. */
export function addLogSoftmax(sum: Float32Array, scores: Float32Array, rows: number, width: number, weight: number): void {
  if (scores.length !== rows * width || sum.length !== rows * width) {
    throw new TastebudError('internal', `addLogSoftmax: expected ${rows} x ${width} scores, got ${scores.length} and ${sum.length}`);
  }
  for (let r = 0; r < rows; r++) {
    const off = r * width;
    let max = -Infinity;
    for (let j = 1; j < width; j++) if ((scores[off + j] as number) > max) max = scores[off + j] as number;
    let z = 0;
    for (let j = 1; j < width; j++) z += Math.exp((scores[off + j] as number) - max);
    const logZ = max + Math.log(z);
    for (let j = 1; j < width; j++) sum[off + j] = (sum[off + j] as number) + weight * ((scores[off + j] as number) - logZ);
  }
}

/**
 * Mean log-softmax of the members' score matrices (each rows × width,
 * row-major, as `scoreHistories` returns them). Column 0 stays 0.
 */
export function meanLogSoftmax(members: readonly Float32Array[], rows: number, width: number): Float32Array {
  if (members.length === 0) throw new TastebudError('invalid-argument', 'an ensemble needs at least one member');
  const sum = new Float32Array(rows * width);
  for (const scores of members) addLogSoftmax(sum, scores, rows, width, 1 / members.length);
  return sum;
}

/** Throws unless every member has the same item vocabulary as the first (same items, same order). */
export function checkSameVocabulary(members: ReadonlyArray<{ name: string; itemIds: readonly string[] }>): void {
  const first = members[0];
  if (!first) return;
  for (const m of members.slice(1)) {
    const differs = m.itemIds.length !== first.itemIds.length || m.itemIds.some((id, i) => id !== first.itemIds[i]);
    if (differs) {
      throw new TastebudError(
        'invalid-argument',
        `${m.name} has a different item vocabulary (${m.itemIds.length} items) from ${first.name} (${first.itemIds.length} items); ensemble members must be trained on the same interactions.`,
        { field: 'model' },
      );
    }
  }
}

/** Manifest `name` (and `config.architecture`) of an ensemble model directory. */
export const ENSEMBLE_NAME = 'ensemble';

/**
 * `config` of an ensemble model directory: one shared vocabulary file, one
 * weights file per member (`member-<i>.bin`), each member's full config.
 */
export interface EnsembleConfig {
  architecture: typeof ENSEMBLE_NAME;
  numItems: number;
  vocabulary: string;
  /** How member scores are combined; the only rule so far. */
  combine: 'mean-log-softmax';
  members: SequenceModelConfig[];
  /** An item-transition table whose weighted log-probability is added to the members' mean (transitions.ts). */
  transitions?: TransitionsConfig;
}

function ensembleFail(message: string, field: string): never {
  throw new TastebudError('model-load', `Invalid ensemble config: ${message}`, { field: `config.${field}` });
}

/** Validates an untrusted ensemble manifest `config` (each member as parseSequenceConfig does). */
export function parseEnsembleConfig(config: Record<string, unknown>): EnsembleConfig {
  if (config.architecture !== ENSEMBLE_NAME) ensembleFail(`architecture must be "${ENSEMBLE_NAME}"`, 'architecture');
  const { numItems, vocabulary, members } = config;
  if (typeof numItems !== 'number' || !Number.isInteger(numItems) || numItems < 1)
    ensembleFail('numItems must be a positive integer', 'numItems');
  if (typeof vocabulary !== 'string') ensembleFail('vocabulary must be a file path', 'vocabulary');
  if (config.combine !== 'mean-log-softmax')
    ensembleFail(`combine must be "mean-log-softmax", got ${JSON.stringify(config.combine)}`, 'combine');
  if (!Array.isArray(members) || members.length === 0) ensembleFail('members must be a non-empty array', 'members');
  const parsed = members.map((m: unknown, i: number) => {
    if (typeof m !== 'object' || m === null || Array.isArray(m)) ensembleFail(`member ${i} must be an object`, `members[${i}]`);
    const c = parseSequenceConfig(m as Record<string, unknown>);
    if (c.numItems !== numItems) ensembleFail(`member ${i} has ${c.numItems} items, the ensemble ${numItems}`, `members[${i}].numItems`);
    if (c.vocabulary !== vocabulary) ensembleFail(`member ${i} must use the ensemble's vocabulary file`, `members[${i}].vocabulary`);
    return c;
  });
  if (new Set(parsed.map((c) => c.weights.path)).size !== parsed.length)
    ensembleFail('members must have distinct weights files', 'members');
  const transitions = config.transitions === undefined ? undefined : parseTransitionsConfig(config.transitions);
  if (transitions && (transitions.path === vocabulary || parsed.some((c) => c.weights.path === transitions.path)))
    ensembleFail('transitions.path must be a file of its own', 'transitions.path');
  return {
    architecture: ENSEMBLE_NAME,
    numItems,
    vocabulary,
    combine: 'mean-log-softmax',
    members: parsed,
    ...(transitions ? { transitions } : {}),
  };
}

const bytesOf = (c: SequenceModelConfig): number => c.weights.specs.reduce((n, s) => n + 4 * s.shape.reduce((a, b) => a * b, 1), 0);

/** The weights files of a single model or of every member, in order. */
export function weightPaths(config: SequenceModelConfig | EnsembleConfig): string[] {
  return config.architecture === ENSEMBLE_NAME ? config.members.map((m) => m.weights.path) : [config.weights.path];
}

/** Exported ensemble weights are the members' weights.bin layouts, concatenated in member order. */
export function concatMemberWeights(parts: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.byteLength, 0));
  let off = 0;
  for (const p of parts) {
    out.set(p, off);
    off += p.byteLength;
  }
  return out;
}

/** Inverse of concatMemberWeights; a buffer of the wrong size is `model-integrity`. */
export function splitMemberWeights(config: EnsembleConfig, bytes: ArrayBuffer): ArrayBuffer[] {
  const sizes = config.members.map(bytesOf);
  const total = sizes.reduce((a, b) => a + b, 0);
  if (bytes.byteLength !== total) {
    throw new TastebudError(
      'model-integrity',
      `ensemble weights have ${bytes.byteLength} bytes, its ${sizes.length} members need ${total}`,
      { field: 'weights' },
    );
  }
  let off = 0;
  return sizes.map((n) => {
    const part = bytes.slice(off, off + n);
    off += n;
    return part;
  });
}

/**
 * Mean of the members' contributions (each sums to 1 over the positions it
 * used), aligned on the newest position; members that read fewer positions
 * add nothing to the older ones.
 */
export function meanContributions(parts: readonly Float32Array[]): Float32Array {
  const len = Math.max(0, ...parts.map((p) => p.length));
  const out = new Float32Array(len);
  for (const p of parts)
    for (let i = 0; i < p.length; i++) out[len - p.length + i] = (out[len - p.length + i] as number) + (p[i] as number) / parts.length;
  return out;
}

/** The ensemble's transition table with its settings, once decoded. */
export interface EnsembleTransitions {
  table: TransitionTable;
  config: TransitionsConfig;
}

/**
 * Ensemble scores of a batch (rows × (numItems + 1)): the members' mean
 * log-softmax plus, with a transition table, weight × its log-probability.
 * Rows of empty histories are all zero.
 */
export function ensembleScores(
  memberScores: readonly Float32Array[],
  histories: readonly ArrayLike<number>[],
  numItems: number,
  transitions?: EnsembleTransitions,
): Float32Array {
  const width = numItems + 1;
  const out = meanLogSoftmax(memberScores, histories.length, width);
  if (transitions) addTransitionScores(out, transitions.table, transitions.config, histories);
  histories.forEach((h, b) => {
    if (h.length === 0) out.fill(0, b * width, (b + 1) * width);
  });
  return out;
}

/**
 * One history's ensemble scores and reasons from its members': ensembleScores
 * over `numItems + 1` slots, mean contributions (the transition table adds no reasons).
 */
export function combineMemberScores(
  parts: ReadonlyArray<{ scores: Float32Array; contributions: Float32Array }>,
  history: ArrayLike<number>,
  numItems: number,
  transitions?: EnsembleTransitions,
): { scores: Float32Array; contributions: Float32Array } {
  return {
    scores: ensembleScores(
      parts.map((p) => p.scores),
      [history],
      numItems,
      transitions,
    ),
    contributions: meanContributions(parts.map((p) => p.contributions)),
  };
}

/** Splits exported ensemble weights (splitMemberWeights) and hands each member its part. */
export function importMemberWeights(
  config: EnsembleConfig,
  bytes: ArrayBuffer,
  members: ReadonlyArray<{ importWeights(bytes: ArrayBuffer): void }>,
): void {
  const parts = splitMemberWeights(config, bytes);
  members.forEach((m, i) => m.importWeights(parts[i] as ArrayBuffer));
}

/** A trained single model (sasrec or gru) offered as an ensemble member; `name` labels it in errors. */
export interface EnsembleMemberSource {
  name: string;
  manifest: ModelManifest;
  files: ReadonlyMap<string, ArrayBuffer>;
}

/**
 * The config and files of an ensemble model directory made of `members`
 * (their verified files): the shared vocabulary once, each member's weights
 * unchanged as `member-<i>.bin`.
 */
export function composeEnsemble(
  members: readonly EnsembleMemberSource[],
  transitions?: { bytes: Uint8Array; config: Omit<TransitionsConfig, 'path'> },
): { config: EnsembleConfig; files: Array<{ path: string; bytes: Uint8Array }> } {
  const least = transitions ? 1 : 2;
  if (members.length < least)
    throw new TastebudError(
      'invalid-argument',
      `an ensemble needs at least ${least === 1 ? 'one model and a transition table' : 'two models'}, got ${members.length} model${members.length === 1 ? '' : 's'}`,
      { field: 'model' },
    );
  const parsed = members.map((m) => {
    const { kind, name } = m.manifest;
    if (kind !== 'sequence' || (name !== 'sasrec' && name !== 'gru')) {
      throw new TastebudError(
        'invalid-argument',
        `${m.name} is a ${kind} model "${name}"; ensemble members must be single sasrec or gru models`,
        { field: 'model' },
      );
    }
    const file = (path: string): ArrayBuffer => {
      const bytes = m.files.get(path);
      if (!bytes) throw new TastebudError('model-load', `${m.name}: model file ${path} is missing`, { field: path });
      return bytes;
    };
    const config = parseSequenceConfig(m.manifest.config);
    return { name: m.name, config, itemIds: parseVocabulary(file(config.vocabulary), config.numItems), weights: file(config.weights.path) };
  });
  checkSameVocabulary(parsed);
  const first = parsed[0] as (typeof parsed)[number];
  const memberPath = (i: number): string => `member-${i}.bin`;
  const config: EnsembleConfig = {
    architecture: ENSEMBLE_NAME,
    numItems: first.config.numItems,
    vocabulary: VOCAB_FILE,
    combine: 'mean-log-softmax',
    members: parsed.map((p, i) => ({ ...p.config, weights: { ...p.config.weights, path: memberPath(i) }, vocabulary: VOCAB_FILE })),
    ...(transitions ? { transitions: { ...transitions.config, path: TRANSITIONS_FILE } } : {}),
  };
  const files = [
    { path: VOCAB_FILE, bytes: new TextEncoder().encode(JSON.stringify(first.itemIds)) },
    ...parsed.map((p, i) => ({ path: memberPath(i), bytes: new Uint8Array(p.weights.slice(0)) })),
    ...(transitions ? [{ path: TRANSITIONS_FILE, bytes: transitions.bytes }] : []),
  ];
  return { config, files };
}
