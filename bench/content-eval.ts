/**
 * Evaluation helpers for the content benchmarks: the leave-one-out rank of
 * ../shared/datasets/README.md (full ranking over items 1..n, seen items
 * masked but never the target, ties count against the target), the exact
 * expectation for a uniform random ranking, and content scoring of a history.
 */
import { cpus, totalmem } from 'node:os';
import { buildContentProfile, contentSignal } from '../workers/ranking/content';

export interface HrNdcg {
  hr10: number;
  ndcg10: number;
  users: number;
}

export class Acc {
  n = 0;
  hr = 0;
  ndcg = 0;
  add(rank: number): void {
    this.n++;
    if (rank < 10) {
      this.hr++;
      this.ndcg += 1 / Math.log2(rank + 2);
    }
  }
  addExpected(hr: number, ndcg: number): void {
    this.n++;
    this.hr += hr;
    this.ndcg += ndcg;
  }
  result(): HrNdcg {
    const n = Math.max(1, this.n);
    return { hr10: round(this.hr / n), ndcg10: round(this.ndcg / n), users: this.n };
  }
}

export const round = (x: number, digits = 4): number => Math.round(x * 10 ** digits) / 10 ** digits;

/**
 * Rank of `target` among items 1..numItems (index 0 = padding) with the items
 * in `seen` masked (never the target): the number of other unmasked items
 * scoring >= the target's score.
 */
export function rankOf(scores: ArrayLike<number>, target: number, seen: ArrayLike<number>, numItems: number): number {
  const st = scores[target]!;
  if (Number.isNaN(st)) return numItems - 1;
  let count = 0;
  for (let j = 1; j <= numItems; j++) if (scores[j]! >= st) count++;
  count--;
  const done = new Set<number>();
  for (let i = 0; i < seen.length; i++) {
    const j = seen[i]!;
    if (j === target || j <= 0 || j > numItems || done.has(j)) continue;
    done.add(j);
    if (scores[j]! >= st) count--;
  }
  return count;
}

/** Exact HR@10 / NDCG@10 of a uniformly random ranking of `candidates` items (target included). */
export function randomExpectation(candidates: number): { hr: number; ndcg: number } {
  const top = Math.min(10, candidates);
  let ndcg = 0;
  for (let r = 0; r < top; r++) ndcg += 1 / Math.log2(r + 2);
  return { hr: top / candidates, ndcg: ndcg / candidates };
}

export function distinctOthers(seen: ArrayLike<number>, target: number): number {
  const s = new Set<number>();
  for (let i = 0; i < seen.length; i++) if (seen[i] !== target && seen[i]! > 0) s.add(seen[i]!);
  return s.size;
}

/** A small seeded PRNG (mulberry32), the same one training uses. */
export { mulberry32 } from '../common/random';

export interface ContentSpace {
  name: string;
  dim: number;
  vectors: Float32Array;
  norms?: Float32Array;
}

/**
 * History → event weights for the content profile: every item weight 1, or
 * recency-decayed 0.5^(age / halfLife) (age 0 = newest) when halfLife > 0.
 * Items for which `skip` is true are left out.
 */
export function historyWeights(history: ArrayLike<number>, halfLife: number, skip?: (item: number) => boolean): Map<number, number> {
  const w = new Map<number, number>();
  const L = history.length;
  for (let p = 0; p < L; p++) {
    const item = history[p]!;
    if (skip?.(item)) continue;
    const v = halfLife > 0 ? 0.5 ** ((L - 1 - p) / halfLife) : 1;
    w.set(item, (w.get(item) ?? 0) + v);
  }
  return w;
}

/** Content scores (cosine with the profile) over rows 0..numItems of one space. */
export function contentScores(space: ContentSpace, weights: Map<number, number>, rows: number): Float32Array {
  const profile = buildContentProfile(space.vectors, space.dim, weights, { maxContributors: 0 });
  return contentSignal(profile, space.vectors, space.dim, rows, { contributors: false, norms: space.norms }).scores;
}

/** α · a + (1 − α) · b into a new array. */
export function mix(a: Float32Array, b: Float32Array, alpha: number): Float32Array {
  const out = new Float32Array(a.length);
  for (let i = 0; i < a.length; i++) out[i] = alpha * a[i]! + (1 - alpha) * b[i]!;
  return out;
}

export function machine(): Record<string, string | number> {
  const c = cpus();
  return {
    cpu: c[0]?.model ?? 'unknown',
    cores: c.length,
    memoryGiB: Math.round(totalmem() / 2 ** 30),
    node: process.version,
    platform: `${process.platform}-${process.arch}`,
  };
}
