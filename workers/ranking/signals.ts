/**
 * Per-item scores for each signal, all scaled to [-1, 1] (mostly [0, 1]) so that
 * blend weights mean the same thing for every catalog.
 */
import type { CooccurrenceTable } from '../../common/types';
import type { Catalog } from './catalog';
import type { UserProfile } from './profile';

export interface SignalScores {
  scores: Float32Array;
  /** For each item, the history item (catalog index) that contributed most, or -1. */
  topContributor?: Int32Array;
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

function scaleToUnit(scores: Float32Array): Float32Array {
  let max = 0;
  for (const v of scores) max = Math.max(max, Math.abs(v));
  if (max > 0) for (let i = 0; i < scores.length; i++) scores[i] = scores[i]! / max;
  return scores;
}

export function popularitySignal(counts: Map<string, number>, profileCounts: Map<number, number>, catalog: Catalog): SignalScores {
  const scores = new Float32Array(catalog.items.length);
  catalog.items.forEach((item, i) => {
    scores[i] = Math.log1p((counts.get(item.id) ?? 0) + (profileCounts.get(i) ?? 0));
  });
  return { scores: scaleToUnit(scores) };
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
  return { scores: scaleToUnit(scores), topContributor };
}

export function tagSignal(profile: UserProfile, catalog: Catalog): SignalScores {
  const scores = new Float32Array(catalog.items.length);
  if (profile.tagAffinity.size === 0) return { scores };
  catalog.items.forEach((item, i) => {
    if (item.tags.length === 0) return;
    let s = 0;
    for (const tag of item.tags) s += profile.tagAffinity.get(tag) ?? 0;
    scores[i] = s / Math.sqrt(item.tags.length);
  });
  return { scores: scaleToUnit(scores) };
}

/** Jaccard similarity of two tag lists; 0 when either is empty. */
export function tagJaccard(a: readonly string[], b: readonly string[]): number {
  if (a.length === 0 || b.length === 0) return 0;
  const set = new Set(a);
  let inter = 0;
  for (const t of new Set(b)) if (set.has(t)) inter += 1;
  return inter / (set.size + new Set(b).size - inter);
}
