/**
 * Blends signals into one score, applies the declarative filters, diversifies
 * with MMR and attaches reasons. Pure: arrays in, ranked ids out.
 */
import type { Reason, Recommendation } from '../../common/types';
import type { Catalog } from './catalog';
import type { SignalScores } from './signals';
import { tagJaccard } from './signals';
import { topK } from './topk';
import { explain, type ExplainContext } from './reasons';
import type { BlendWeights, SignalName } from './weights';

export interface RankInput {
  catalog: Catalog;
  signals: Partial<Record<SignalName, SignalScores>>;
  weights: BlendWeights;
  k: number;
  exclude?: ReadonlySet<string>;
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

function passesFilters(input: RankInput, i: number): boolean {
  const item = input.catalog.items[i]!;
  if (input.exclude?.has(item.id)) return false;
  if (input.includeTags && input.includeTags.length > 0 && !item.tags.some((t) => input.includeTags!.includes(t))) return false;
  if (input.excludeTags && input.excludeTags.length > 0 && item.tags.some((t) => input.excludeTags!.includes(t))) return false;
  return true;
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
  const pool = topK(scores, poolSize, (i) => passesFilters(input, i));
  const chosen = mmr(
    pool,
    scores,
    input.k,
    input.diversity,
    input.similarity ?? ((a, b) => tagJaccard(input.catalog.items[a]!.tags, input.catalog.items[b]!.tags)),
  );
  return chosen.map((i) => ({
    itemId: input.catalog.items[i]!.id,
    score: scores[i]!,
    reasons: explain(i, input.signals, input.weights, input.explain),
  }));
}

export type { Reason };
