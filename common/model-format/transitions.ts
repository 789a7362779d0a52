/**
 * An item-to-item transition table (a first-order Markov chain over the
 * training sequences) that an ensemble adds to its members' scores. The
 * probability of item j after a history is a mixture over its newest
 * `recent` items l_q (q = 0 newest) with weights decay^q:
 *   P(j | l) = (count(l → j) + smoothing · pop(j)) / (count(l → ·) + smoothing)
 * where pop is the items' share of all training interactions (add-one
 * smoothed, so no item's probability is 0). The ensemble
 * adds `weight` × log P(j | history) to the mean of its members' log-softmax.
 * File layout (little-endian): float32 pop counts [numItems + 1],
 * int32 row starts [numItems + 2], int32 next items [pairs], float32 counts [pairs];
 * row l holds the items seen right after l, ascending.
 */
import { TastebudError } from '../errors';

export interface TransitionsConfig {
  /** Path (in `files`) of the table. */
  path: string;
  /** Distinct (item, next item) pairs in the table. */
  pairs: number;
  /** How many of the newest history items vote (default 20). */
  recent: number;
  /** Vote of the q-th newest item relative to the newest is decay^q (default 0.8). */
  decay: number;
  /** Pseudo-count of popularity added to every row, > 0 so that no item gets probability 0 (default 100). */
  smoothing: number;
  /** Weight of log P relative to the members' mean log-softmax (default 0.7). */
  weight: number;
}

export const TRANSITIONS_FILE = 'transitions.bin';

/** Defaults chosen on ML-1M validation items (docs/experiments.md). */
export const TRANSITION_DEFAULTS = { recent: 20, decay: 0.8, smoothing: 100, weight: 0.7 } as const;

export interface TransitionTable {
  numItems: number;
  /** Add-one smoothed popularity share of each item (index 0 = padding, 0); sums to 1. */
  pop: Float32Array;
  rowStart: Int32Array;
  next: Int32Array;
  count: Float32Array;
  /** count(l → ·) per item l. */
  rowTotal: Float32Array;
}

/** Counts of every adjacent pair (a[t], a[t+1]) and of every item in `sequences` (model item indices 1..numItems). */
export function buildTransitions(sequences: readonly Int32Array[], numItems: number): { bytes: Uint8Array; pairs: number } {
  const pop = new Float32Array(numItems + 1);
  const rows = new Map<number, Map<number, number>>();
  for (const s of sequences) {
    for (let t = 0; t < s.length; t++) {
      const a = s[t] as number;
      if (!(a >= 1 && a <= numItems))
        throw new TastebudError('invalid-argument', `item index ${a} is outside 1..${numItems}`, { field: 'sequences' });
      pop[a] = (pop[a] as number) + 1;
      if (t + 1 < s.length) {
        const b = s[t + 1] as number;
        let row = rows.get(a);
        if (!row) {
          row = new Map();
          rows.set(a, row);
        }
        row.set(b, (row.get(b) ?? 0) + 1);
      }
    }
  }
  const pairs = [...rows.values()].reduce((n, r) => n + r.size, 0);
  const buf = new ArrayBuffer(4 * (numItems + 1) + 4 * (numItems + 2) + 8 * pairs);
  const view = new DataView(buf);
  let off = 0;
  for (let j = 0; j <= numItems; j++, off += 4) view.setFloat32(off, pop[j] as number, true);
  const nextOff = off + 4 * (numItems + 2);
  const countOff = nextOff + 4 * pairs;
  let k = 0;
  for (let l = 0; l <= numItems; l++) {
    view.setInt32(off + 4 * l, k, true);
    const row = rows.get(l);
    if (!row) continue;
    for (const b of [...row.keys()].sort((x, y) => x - y)) {
      view.setInt32(nextOff + 4 * k, b, true);
      view.setFloat32(countOff + 4 * k, row.get(b) as number, true);
      k++;
    }
  }
  view.setInt32(off + 4 * (numItems + 1), k, true);
  return { bytes: new Uint8Array(buf), pairs };
}

function integrityFail(message: string): never {
  throw new TastebudError('model-integrity', `transition table: ${message}`, { field: 'transitions' });
}

/** Reads a table written by buildTransitions; anything inconsistent is `model-integrity`. */
export function decodeTransitions(bytes: ArrayBuffer, numItems: number, pairs: number): TransitionTable {
  const expected = 4 * (numItems + 1) + 4 * (numItems + 2) + 8 * pairs;
  if (bytes.byteLength !== expected) integrityFail(`${bytes.byteLength} bytes, ${numItems} items and ${pairs} pairs need ${expected}`);
  const view = new DataView(bytes);
  let off = 0;
  const popCounts = new Float32Array(numItems + 1);
  for (let j = 0; j <= numItems; j++, off += 4) popCounts[j] = view.getFloat32(off, true);
  const rowStart = new Int32Array(numItems + 2);
  for (let l = 0; l <= numItems + 1; l++, off += 4) rowStart[l] = view.getInt32(off, true);
  const next = new Int32Array(pairs);
  for (let k = 0; k < pairs; k++, off += 4) next[k] = view.getInt32(off, true);
  const count = new Float32Array(pairs);
  for (let k = 0; k < pairs; k++, off += 4) count[k] = view.getFloat32(off, true);
  if (rowStart[0] !== 0 || rowStart[numItems + 1] !== pairs) integrityFail('row starts do not span the pairs');
  const rowTotal = new Float32Array(numItems + 1);
  for (let l = 0; l <= numItems; l++) {
    const a = rowStart[l] as number;
    const b = rowStart[l + 1] as number;
    if (b < a) integrityFail(`row ${l} ends before it starts`);
    for (let k = a; k < b; k++) {
      const j = next[k] as number;
      const c = count[k] as number;
      if (!(j >= 1 && j <= numItems) || !(c > 0)) integrityFail(`pair ${k} (${l} → ${j}, count ${c}) is invalid`);
      rowTotal[l] = (rowTotal[l] as number) + c;
    }
  }
  let total = 0;
  for (let j = 1; j <= numItems; j++) {
    const c = popCounts[j] as number;
    if (!(c >= 0)) integrityFail(`item ${j} has count ${c}`);
    total += c;
  }
  const pop = new Float32Array(numItems + 1);
  // add-one smoothing: an item never seen in training keeps a small, finite probability
  for (let j = 1; j <= numItems; j++) pop[j] = ((popCounts[j] as number) + 1) / (total + numItems);
  return { numItems, pop, rowStart, next, count, rowTotal };
}

/**
 * Writes log P(j | history) for j = 1..numItems into out[offset + j]
 * (out[offset] = 0). An empty history gives log pop(j). `acc` is scratch of
 * length numItems + 1.
 */
export function transitionLogProbs(
  table: TransitionTable,
  cfg: Pick<TransitionsConfig, 'recent' | 'decay' | 'smoothing'>,
  history: ArrayLike<number>,
  out: Float32Array,
  offset = 0,
  acc = new Float64Array(table.numItems + 1),
): void {
  const n = table.numItems;
  acc.fill(0);
  let votes = 0;
  let popShare = 0;
  const used = Math.min(cfg.recent, history.length);
  for (let q = 0; q < used; q++) {
    const l = history[history.length - 1 - q] as number;
    const v = cfg.decay ** q;
    const z = (table.rowTotal[l] as number) + cfg.smoothing;
    votes += v;
    popShare += (v * cfg.smoothing) / z;
    for (let k = table.rowStart[l] as number; k < (table.rowStart[l + 1] as number); k++) {
      const j = table.next[k] as number;
      acc[j] = (acc[j] as number) + (v * (table.count[k] as number)) / z;
    }
  }
  if (votes === 0) {
    votes = 1;
    popShare = 1;
  }
  out[offset] = 0;
  for (let j = 1; j <= n; j++) out[offset + j] = Math.log(((acc[j] as number) + popShare * (table.pop[j] as number)) / votes);
}

/** Adds weight × log P(j | history) to each row of `sum` (rows × (numItems + 1)); empty histories add nothing. */
export function addTransitionScores(
  sum: Float32Array,
  table: TransitionTable,
  cfg: TransitionsConfig,
  histories: readonly ArrayLike<number>[],
): void {
  if (cfg.weight === 0) return;
  const width = table.numItems + 1;
  const row = new Float32Array(width);
  const acc = new Float64Array(width);
  histories.forEach((h, b) => {
    if (h.length === 0) return;
    transitionLogProbs(table, cfg, h, row, 0, acc);
    const off = b * width;
    for (let j = 1; j < width; j++) sum[off + j] = (sum[off + j] as number) + cfg.weight * (row[j] as number);
  });
}

function configFail(field: string, rule: string): never {
  const name = field ? `transitions.${field}` : 'transitions';
  throw new TastebudError('model-load', `Invalid ensemble config: ${name} ${rule}`, { field: `config.${name}` });
}

/** Validates an untrusted `config.transitions`. */
export function parseTransitionsConfig(raw: unknown): TransitionsConfig {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) configFail('', 'must be an object');
  const r = raw as Record<string, unknown>;
  if (typeof r.path !== 'string' || r.path === '') configFail('path', 'must be a file path');
  if (typeof r.pairs !== 'number' || !Number.isInteger(r.pairs) || r.pairs < 0) configFail('pairs', 'must be a non-negative integer');
  if (typeof r.recent !== 'number' || !Number.isInteger(r.recent) || r.recent < 1) configFail('recent', 'must be a positive integer');
  const inRange = (k: 'decay' | 'smoothing' | 'weight', lo: number, hi: number): number => {
    const v = r[k];
    if (typeof v !== 'number' || !(v >= lo && v <= hi)) configFail(k, `must be a number in [${lo}, ${hi}]`);
    return v;
  };
  const smoothing = inRange('smoothing', 0, 1e9);
  if (smoothing === 0) configFail('smoothing', 'must be above 0');
  return { path: r.path, pairs: r.pairs, recent: r.recent, decay: inRange('decay', 0, 1), smoothing, weight: inRange('weight', 0, 1e3) };
}
