/** "More like this": items close to one item by co-occurrence and shared tags. */
import type { Reason, Recommendation } from '../../common/types';
import type { Catalog } from './catalog';
import { tagJaccard, type NeighborIndex } from './signals';
import { topK } from './topk';

export interface SimilarInput {
  catalog: Catalog;
  neighbors: NeighborIndex;
  itemIndex: number;
  k: number;
  exclude: ReadonlySet<string>;
  weights: { cooccurrence: number; tags: number };
  /** Cosine of the item's content vector with every item, per content model. */
  content?: Array<{ source: 'content-text' | 'content-image'; scores: Float32Array; weight: number }>;
}

export function similarItems(input: SimilarInput): Recommendation[] {
  const { catalog, itemIndex } = input;
  const n = catalog.items.length;
  const cooc = new Float32Array(n);
  const list = input.neighbors.get(itemIndex) ?? [];
  let max = 0;
  for (const [, w] of list) max = Math.max(max, w);
  for (const [j, w] of list) cooc[j] = max > 0 ? w / max : 0;
  const source = catalog.items[itemIndex]!;
  const tags = new Float32Array(n);
  if (source.tags.length > 0)
    catalog.items.forEach((item, i) => {
      tags[i] = tagJaccard(source.tags, item.tags);
    });
  const total = new Float32Array(n);
  for (let i = 0; i < n; i++) total[i] = input.weights.cooccurrence * cooc[i]! + input.weights.tags * tags[i]!;
  for (const c of input.content ?? []) for (let i = 0; i < n; i++) total[i] = total[i]! + c.weight * Math.max(0, c.scores[i]!);
  const chosen = topK(total, input.k, (i) => total[i]! > 0 && i !== itemIndex && !input.exclude.has(catalog.items[i]!.id));
  return chosen.map((i) => {
    const parts: Reason[] = [];
    const c = input.weights.cooccurrence * cooc[i]!;
    const t = input.weights.tags * tags[i]!;
    const contentParts = (input.content ?? []).map((part) => ({ part, value: part.weight * Math.max(0, part.scores[i]!) }));
    const sum = Math.max(c, 0) + Math.max(t, 0) + contentParts.reduce((acc, p) => acc + p.value, 0);
    if (c > 0)
      parts.push({ source: 'co-occurrence', text: `Often enjoyed together with ${source.label}`, itemIds: [source.id], weight: c / sum });
    if (t > 0) {
      const shared = catalog.items[i]!.tags.filter((tag) => source.tags.includes(tag)).slice(0, 3);
      parts.push({ source: 'tags', text: `Also ${shared.join(', ')}, like ${source.label}`, itemIds: [source.id], weight: t / sum });
    }
    for (const { part, value } of contentParts) {
      if (value > 0)
        parts.push({
          source: part.source,
          text: `Similar ${part.source === 'content-text' ? 'story' : 'look'} to ${source.label}`,
          itemIds: [source.id],
          weight: value / sum,
        });
    }
    parts.sort((a, b) => b.weight - a.weight);
    return { itemId: catalog.items[i]!.id, score: total[i]!, reasons: parts };
  });
}
