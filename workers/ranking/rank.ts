/**
 * Blends signals into one score, applies the declarative filters, diversifies
 * with MMR and attaches reasons. Pure: arrays in, ranked ids out.
 */
import type { Reason, Recommendation } from '../../common/types';
import type { Catalog } from './catalog';
import type { SignalScores } from './signals';
import { catalogColumns, itemsWithAnyTag, tagSimilarity } from './columns';
import { topK } from './topk';
import { explain, type ExplainContext } from './reasons';
import type { BlendWeights, SignalName } from './weights';

export interface RankInput {
  catalog: Catalog;
  signals: Partial<Record<SignalName, SignalScores>>;
  weights: BlendWeights;
  k: number;
  exclude?: ReadonlySet<string>;
  /** Catalog-indexed: 1 leaves the item out (e.g. the items the user has seen). */
  excludeIndex?: Uint8Array;
  includeTags?: readonly string[];
  excludeTags?: readonly string[];
  /** 0..1, MMR trade-off between relevance and variety. */
  diversity: number;
  /** Item-item similarity for MMR; default: Jaccard of tags. */
  similarity?: (a: number, b: number) => number;
  explain: ExplainContext;
}

export function blend(signals: RankInput['signals'], weights: BlendWeights, size: number): Float32Array {
  const total = new Float32Array(size);
  for (const name of Object.keys(signals) as SignalName[]) {
    const s = signals[name];
    const w = weights[name];
    if (!s || w === 0) continue;
    for (let i = 0; i < size; i++) total[i] = total[i]! + w * s.scores[i]!;
  }
  return total;
}

/** Catalog-indexed: 1 for every item a filter leaves out. */
function blockedItems(input: RankInput): Uint8Array {
  const { catalog } = input;
  const n = catalog.items.length;
  const blocked = input.excludeIndex ? input.excludeIndex.slice(0, n) : new Uint8Array(n);
  if (input.exclude)
    for (const id of input.exclude) {
      const i = catalog.index.get(id);
      if (i !== undefined) blocked[i] = 1;
    }
  if (input.excludeTags && input.excludeTags.length > 0) itemsWithAnyTag(catalogColumns(catalog), input.excludeTags, blocked);
  if (input.includeTags && input.includeTags.length > 0) {
    const wanted = itemsWithAnyTag(catalogColumns(catalog), input.includeTags, new Uint8Array(n));
    for (let i = 0; i < n; i++) blocked[i] = blocked[i]! | (wanted[i]! ^ 1);
  }
  return blocked;
}

/** Maximal marginal relevance: trade relevance for dissimilarity to what is already picked. */
export function mmr(
  pool: number[],
  relevance: Float32Array,
  k: number,
  lambda: number,
  similarity: (a: number, b: number) => number,
): number[] {
  if (lambda <= 0 || pool.length <= 1) return pool.slice(0, k);
  let lo = Infinity;
  let hi = -Infinity;
  for (const i of pool) {
    lo = Math.min(lo, relevance[i]!);
    hi = Math.max(hi, relevance[i]!);
  }
  const span = hi - lo || 1;
  const picked: number[] = [];
  const maxSim = new Map<number, number>(pool.map((i) => [i, 0]));
  const remaining = new Set(pool);
  while (picked.length < k && remaining.size > 0) {
    let bestIdx = -1;
    let bestVal = -Infinity;
    for (const i of remaining) {
      const v = (1 - lambda) * ((relevance[i]! - lo) / span) - lambda * maxSim.get(i)!;
      if (v > bestVal) {
        bestVal = v;
        bestIdx = i;
      }
    }
    picked.push(bestIdx);
    remaining.delete(bestIdx);
    for (const i of remaining) maxSim.set(i, Math.max(maxSim.get(i)!, similarity(i, bestIdx)));
  }
  return picked;
}

export function rank(input: RankInput): Recommendation[] {
  const size = input.catalog.items.length;
  const scores = blend(input.signals, input.weights, size);
  const poolSize = input.diversity > 0 ? Math.max(input.k * 5, 50) : input.k;
  const blocked = blockedItems(input);
  const pool = topK(scores, poolSize, (i) => blocked[i] === 0);
  const chosen = mmr(pool, scores, input.k, input.diversity, input.similarity ?? tagSimilarity(input.catalog));
  const cited = new Map<number, number>();
  return chosen.map((i) => ({
    itemId: input.catalog.items[i]!.id,
    score: scores[i]!,
    reasons: explain(i, input.signals, input.weights, input.explain, cited),
  }));
}

export type { Reason };
