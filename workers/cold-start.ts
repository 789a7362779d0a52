/**
 * coldStartPicks(): what to show a visitor with no history, so that their
 * first few likes tell tastes apart. Greedy maximal marginal relevance over
 * the most popular items: each pick is popular (people know it, so they can
 * react to it) and unlike the picks before it (text vectors, else tag overlap),
 * so the list spans the catalog's kinds of taste instead of its single most
 * watched genre.
 */
import type { Recommendation } from '../common/types';
import type { Catalog } from './ranking/catalog';
import type { ContentMatrix } from './content/index';

/** How many of the most popular items are considered, as a multiple of k (and at least POOL_MIN). */
const POOL_FACTOR = 20;
const POOL_MIN = 200;
/** Weight of popularity against dissimilarity: 0.5 balances "known to many" and "unlike the others". */
const LAMBDA = 0.5;

function tagJaccard(a: readonly string[], b: readonly string[]): number {
  if (a.length === 0 || b.length === 0) return 0;
  const set = new Set(a);
  let both = 0;
  for (const t of b) if (set.has(t)) both += 1;
  return both / (a.length + b.length - both);
}

export function coldStartPicks(
  catalog: Catalog,
  popularity: ReadonlyMap<string, number>,
  text: ContentMatrix | undefined,
  k: number,
  exclude: ReadonlySet<string>,
): Recommendation[] {
  const candidates = catalog.items
    .map((item, index) => ({ index, pop: popularity.get(item.id) ?? 0 }))
    .filter((c) => !exclude.has(catalog.items[c.index]!.id))
    .sort((a, b) => b.pop - a.pop || a.index - b.index)
    .slice(0, Math.max(POOL_MIN, POOL_FACTOR * k));
  if (candidates.length === 0) return [];
  const maxLog = Math.log1p(Math.max(candidates[0]!.pop, 0)) || 1;
  const relevance = candidates.map((c) => Math.log1p(Math.max(c.pop, 0)) / maxLog);
  const dim = text?.dim ?? 0;
  const unit = candidates.map((c) => {
    if (!text) return null;
    const row = text.matrix.subarray(c.index * dim, (c.index + 1) * dim);
    let norm = 0;
    for (let d = 0; d < dim; d++) norm += row[d]! * row[d]!;
    return norm > 0 ? row.map((v) => v / Math.sqrt(norm)) : null;
  });
  const similarity = (a: number, b: number): number => {
    const ua = unit[a];
    const ub = unit[b];
    if (ua && ub) {
      let dot = 0;
      for (let d = 0; d < dim; d++) dot += ua[d]! * ub[d]!;
      return dot;
    }
    return tagJaccard(catalog.items[candidates[a]!.index]!.tags, catalog.items[candidates[b]!.index]!.tags);
  };
  const closest = new Float64Array(candidates.length).fill(-Infinity);
  const taken = new Uint8Array(candidates.length);
  const out: Recommendation[] = [];
  while (out.length < Math.min(k, candidates.length)) {
    let best = -1;
    let bestScore = -Infinity;
    for (let i = 0; i < candidates.length; i++) {
      if (taken[i]) continue;
      const score = LAMBDA * relevance[i]! - (1 - LAMBDA) * Math.max(0, closest[i]!);
      if (score > bestScore) {
        bestScore = score;
        best = i;
      }
    }
    taken[best] = 1;
    for (let i = 0; i < candidates.length; i++) if (!taken[i]) closest[i] = Math.max(closest[i]!, similarity(i, best));
    const item = catalog.items[candidates[best]!.index]!;
    out.push({
      itemId: item.id,
      score: bestScore,
      reasons: [
        { source: 'popular', text: out.length === 0 ? 'Popular on this site' : 'Popular, and unlike the picks before it', weight: 1 },
      ],
    });
  }
  return out;
}
