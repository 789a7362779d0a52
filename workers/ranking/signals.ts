/**
 * Per-item scores for each signal, all scaled to [-1, 1] (mostly [0, 1]) so that
 * blend weights mean the same thing for every catalog.
 */
import type { CooccurrenceTable } from '../../common/types';
import type { Catalog } from './catalog';
import type { UserProfile } from './profile';
import { catalogColumns, popularityColumn } from './columns';

export interface SignalScores {
  scores: Float32Array;
  /** For each item, the history item (catalog index) that contributed most, or -1. */
  topContributor?: Int32Array;
  /** Item i's score split by history item (catalog index → its part of scores[i]); signals without a history leave it out. */
  attribute?: (i: number) => Map<number, number>;
}

/** Neighbour lists by catalog index; ids not in the catalog are dropped. */
export type NeighborIndex = Map<number, Array<[number, number]>>;

export function indexCooccurrence(table: CooccurrenceTable | undefined, catalog: Catalog): NeighborIndex {
  const out: NeighborIndex = new Map();
  if (!table) return out;
  for (const [id, list] of Object.entries(table.neighbors)) {
    const from = catalog.index.get(id);
    if (from === undefined || !Array.isArray(list)) continue;
    const mapped: Array<[number, number]> = [];
    for (const entry of list) {
      const to = catalog.index.get(entry[0]);
      const weight = entry[1];
      if (to !== undefined && to !== from && Number.isFinite(weight) && weight > 0) mapped.push([to, weight]);
    }
    if (mapped.length > 0) out.set(from, mapped);
  }
  return out;
}

/** Divides by the largest magnitude in place; returns that divisor (1 when all are 0). */
function unitScale(scores: Float32Array, knownMax?: number): number {
  let max = knownMax ?? 0;
  if (knownMax === undefined) for (let i = 0; i < scores.length; i++) max = Math.max(max, Math.abs(scores[i]!));
  if (max > 0) for (let i = 0; i < scores.length; i++) scores[i] = scores[i]! / max;
  return max > 0 ? max : 1;
}

function scaleToUnit(scores: Float32Array, knownMax?: number): Float32Array {
  unitScale(scores, knownMax);
  return scores;
}

/** log1p(site-wide count + the user's own count), scaled; only the user's own items differ from the cached column. */
export function popularitySignal(counts: Map<string, number>, profileCounts: Map<number, number>, catalog: Catalog): SignalScores {
  const column = popularityColumn(catalog, counts);
  const scores = column.logCounts.slice();
  let max: number | undefined = column.maxLogCount;
  for (const [i, own] of profileCounts) {
    if (own === 0) continue;
    scores[i] = Math.log1p(column.counts[i]! + own);
    // a negative own count can lower the cached maximum: scan instead
    max = own > 0 && max !== undefined ? Math.max(max, Math.abs(scores[i]!)) : undefined;
  }
  return { scores: scaleToUnit(scores, max) };
}

export function cooccurrenceSignal(neighbors: NeighborIndex, profile: UserProfile, size: number): SignalScores {
  const scores = new Float32Array(size);
  const topContributor = new Int32Array(size).fill(-1);
  const best = new Float32Array(size);
  for (const [h, w] of profile.itemWeights) {
    const list = neighbors.get(h);
    if (!list) continue;
    for (const [j, s] of list) {
      const c = w * s;
      scores[j] = scores[j]! + c;
      if (c > best[j]!) {
        best[j] = c;
        topContributor[j] = h;
      }
    }
  }
  const scale = unitScale(scores);
  const attribute = (j: number): Map<number, number> => {
    const parts = new Map<number, number>();
    for (const [h, w] of profile.itemWeights) {
      const entry = neighbors.get(h)?.find(([to]) => to === j);
      if (entry) parts.set(h, (w * entry[1]) / scale);
    }
    return parts;
  };
  return { scores, topContributor, attribute };
}

export function tagSignal(profile: UserProfile, catalog: Catalog): SignalScores {
  const n = catalog.items.length;
  const scores = new Float32Array(n);
  if (profile.tagAffinity.size === 0) return { scores };
  const { tagIds, tagStart, itemTags, listedTags } = catalogColumns(catalog);
  const affinity = new Float64Array(tagIds.size);
  for (const [tag, a] of profile.tagAffinity) {
    const id = tagIds.get(tag);
    if (id !== undefined) affinity[id] = a;
  }
  for (let i = 0; i < n; i++) {
    const end = tagStart[i + 1]!;
    let p = tagStart[i]!;
    if (p === end) continue;
    let s = 0;
    for (; p < end; p++) s += affinity[itemTags[p]!]!;
    scores[i] = s / Math.sqrt(listedTags[i]!);
  }
  const scale = unitScale(scores);
  // tagAffinity[t] sums weight / sqrt(#tags) over the history items tagged t (profile.ts), so each item's part is exact.
  const attribute = (i: number): Map<number, number> => {
    const parts = new Map<number, number>();
    const mine = new Set(catalog.items[i]!.tags);
    if (mine.size === 0) return parts;
    for (const [h, w] of profile.itemWeights) {
      const theirs = catalog.items[h]!.tags;
      let shared = 0;
      for (const t of theirs) if (mine.has(t)) shared += 1;
      if (shared > 0) parts.set(h, (w * shared) / Math.sqrt(theirs.length) / Math.sqrt(listedTags[i]!) / scale);
    }
    return parts;
  };
  return { scores, attribute };
}

/** Jaccard similarity of two tag lists; 0 when either is empty. */
export function tagJaccard(a: readonly string[], b: readonly string[]): number {
  if (a.length === 0 || b.length === 0) return 0;
  const set = new Set(a);
  let inter = 0;
  for (const t of new Set(b)) if (set.has(t)) inter += 1;
  return inter / (set.size + new Set(b).size - inter);
}
