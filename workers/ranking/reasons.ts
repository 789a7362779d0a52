/** Short, true explanations: which signal dominated and which history items drove it. */
import type { EventType, Reason } from '../../common/types';
import type { Catalog, CatalogItem } from './catalog';
import type { SignalScores } from './signals';
import type { BlendWeights, SignalName } from './weights';
import { verbFor } from './profile';

export interface ExplainContext {
  catalog: Catalog;
  itemVerbs: Map<number, EventType>;
  tagAffinity: Map<string, number>;
  /** For the sequence signal: catalog index of the history item with most attention, per item, or a single one for all. */
  sequenceContributors?: number[];
}

const SOURCE: Record<SignalName, Reason['source']> = {
  sequence: 'sequence',
  cooccurrence: 'co-occurrence',
  tags: 'tags',
  popularity: 'popular',
  contentText: 'content-text',
  contentImage: 'content-image',
};

function because(ctx: ExplainContext, historyIdx: number): { text: string; itemIds: string[] } {
  const item = ctx.catalog.items[historyIdx]!;
  return { text: `Because you ${verbFor(ctx.itemVerbs.get(historyIdx))} ${item.label}`, itemIds: [item.id] };
}

function reasonFor(name: SignalName, i: number, signal: SignalScores, ctx: ExplainContext, weight: number): Reason {
  switch (name) {
    case 'cooccurrence': {
      const h = signal.topContributor?.[i] ?? -1;
      if (h >= 0) return { source: SOURCE[name], weight, ...because(ctx, h) };
      return { source: SOURCE[name], weight, text: 'Often enjoyed together with what you liked' };
    }
    case 'sequence': {
      const h = signal.topContributor?.[i] ?? ctx.sequenceContributors?.[0] ?? -1;
      const base = h >= 0 ? because(ctx, h) : { text: 'Fits what you have been watching lately', itemIds: [] };
      const ids = (ctx.sequenceContributors ?? []).map((c) => ctx.catalog.items[c]!.id);
      return { source: SOURCE[name], weight, text: base.text, itemIds: [...new Set([...base.itemIds, ...ids])].slice(0, 3) };
    }
    case 'tags': {
      const tags = [...ctx.catalog.items[i]!.tags]
        .filter((t) => (ctx.tagAffinity.get(t) ?? 0) > 0)
        .sort((a, b) => ctx.tagAffinity.get(b)! - ctx.tagAffinity.get(a)!)
        .slice(0, 2);
      return {
        source: SOURCE[name],
        weight,
        text: tags.length > 0 ? `Matches your taste for ${tags.join(' and ')}` : 'Matches your taste',
      };
    }
    case 'popularity':
      return { source: SOURCE[name], weight, text: 'Popular on this site' };
    case 'contentText':
    case 'contentImage': {
      const h = signal.topContributor?.[i] ?? -1;
      const what = name === 'contentText' ? 'story' : 'look';
      if (h < 0) return { source: SOURCE[name], weight, text: `A ${what} that matches your taste` };
      const item = ctx.catalog.items[h]!;
      return {
        source: SOURCE[name],
        weight,
        text: `Similar ${what} to ${item.label}, which you ${verbFor(ctx.itemVerbs.get(h))}`,
        itemIds: [item.id],
      };
    }
  }
}

/** A second reason is shown only when its signal carries at least this share of the score. */
export const SECOND_REASON_MIN_SHARE = 0.3;

/** A history item cited fewer times in the list may replace the strongest one when it raised the score at least this much relative to it. */
export const CITE_VARIETY_RATIO = 0.5;

/** History item (catalog index) → how much it raised item i's blended score, over every signal that splits by history. */
export function attribution(i: number, signals: Partial<Record<SignalName, SignalScores>>, weights: BlendWeights): Map<number, number> {
  const total = new Map<number, number>();
  for (const name of Object.keys(signals) as SignalName[]) {
    const s = signals[name];
    const w = weights[name];
    if (!s?.attribute || w === 0) continue;
    for (const [h, c] of s.attribute(i)) total.set(h, (total.get(h) ?? 0) + w * c);
  }
  return total;
}

/**
 * The history item to cite for item i: the one that raised its score most,
 * unless one cited fewer times so far (`cited`, shared over one list) raised it
 * at least CITE_VARIETY_RATIO as much. -1 when no history item raised it.
 */
export function citeFor(parts: Map<number, number>, cited?: ReadonlyMap<number, number>): number {
  const ranked = [...parts].filter(([, c]) => c > 0).sort((a, b) => b[1] - a[1] || a[0] - b[0]);
  if (ranked.length === 0) return -1;
  const floor = ranked[0]![1] * CITE_VARIETY_RATIO;
  let pick = ranked[0]!;
  for (const entry of ranked) {
    if (entry[1] < floor) break;
    if ((cited?.get(entry[0]) ?? 0) < (cited?.get(pick[0]) ?? 0)) pick = entry;
  }
  return pick[0];
}

function primaryReason(name: SignalName, i: number, h: number, signal: SignalScores, ctx: ExplainContext, weight: number): Reason {
  if (h < 0 || name === 'popularity') return reasonFor(name, i, signal, ctx, weight);
  const cite = because(ctx, h);
  switch (name) {
    case 'sequence': {
      const ids = (ctx.sequenceContributors ?? []).map((c) => ctx.catalog.items[c]!.id);
      return { source: SOURCE[name], weight, text: cite.text, itemIds: [...new Set([...cite.itemIds, ...ids])].slice(0, 3) };
    }
    case 'tags':
      return { ...reasonFor(name, i, signal, ctx, weight), itemIds: cite.itemIds };
    case 'contentText':
    case 'contentImage':
      if ((signal.attribute?.(i).get(h) ?? 0) > 0) {
        const item = ctx.catalog.items[h]!;
        const what = name === 'contentText' ? 'story' : 'look';
        return {
          source: SOURCE[name],
          weight,
          text: `Similar ${what} to ${item.label}, which you ${verbFor(ctx.itemVerbs.get(h))}`,
          itemIds: [item.id],
        };
      }
      return { source: SOURCE[name], weight, ...cite };
    case 'cooccurrence':
      return { source: SOURCE[name], weight, ...cite };
  }
}

/**
 * Reasons for item `i`, strongest first: the dominant signal, naming the
 * history item that raised the score most (see citeFor; `cited` is updated),
 * and a second signal only when it carries SECOND_REASON_MIN_SHARE of the
 * score. An item with no positive signal says so.
 */
export function explain(
  i: number,
  signals: Partial<Record<SignalName, SignalScores>>,
  weights: BlendWeights,
  ctx: ExplainContext,
  cited?: Map<number, number>,
): Reason[] {
  const parts: Array<[SignalName, number]> = [];
  for (const name of Object.keys(signals) as SignalName[]) {
    const s = signals[name];
    if (!s) continue;
    const c = weights[name] * s.scores[i]!;
    if (c > 0) parts.push([name, c]);
  }
  const total = parts.reduce((sum, [, c]) => sum + c, 0);
  if (total <= 0) return [{ source: 'catalog', text: 'New to you: not enough history yet to rank it', weight: 1 }];
  parts.sort((a, b) => b[1] - a[1]);
  const h = citeFor(attribution(i, signals, weights), cited);
  const [top, second] = parts;
  const reasons = [primaryReason(top![0], i, h, signals[top![0]]!, ctx, top![1] / total)];
  if (h >= 0 && reasons[0]!.itemIds?.includes(ctx.catalog.items[h]!.id)) cited?.set(h, (cited.get(h) ?? 0) + 1);
  if (second && second[1] / total >= SECOND_REASON_MIN_SHARE) {
    const next = reasonFor(second[0], i, signals[second[0]]!, ctx, second[1] / total);
    if (next.text !== reasons[0]!.text) reasons.push(next);
  }
  return reasons;
}

function words(s: string): string[] {
  return s.toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? [];
}

/** What a search hit matched: query words in its title or tags, else the query's meaning. */
export function searchReason(query: string, item: CatalogItem, weight: number): Reason {
  const wanted = new Set(words(query).filter((w) => w.length > 2));
  const inTitle = words(item.label).filter((w) => wanted.has(w));
  const inTags = item.tags.filter((t) => words(t).some((w) => wanted.has(w)));
  const found = [
    ...(inTitle.length > 0 ? [`“${[...new Set(inTitle)].join(' ')}” in the title`] : []),
    ...(inTags.length > 0 ? [`tagged ${inTags.slice(0, 2).join(' and ')}`] : []),
  ];
  const quoted = query.length > 40 ? `${query.slice(0, 39)}…` : query;
  const text = found.length > 0 ? `Matches your search: ${found.join(', ')}` : `Matches the meaning of “${quoted}”`;
  return { source: 'content-text', text, weight };
}
