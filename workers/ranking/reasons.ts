/** Short, true explanations: which signal dominated and which history items drove it. */
import type { EventType, Reason } from '../../common/types';
import type { Catalog } from './catalog';
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

/** Reasons for item `i`, strongest first; an item with no positive signal says so. */
export function explain(
  i: number,
  signals: Partial<Record<SignalName, SignalScores>>,
  weights: BlendWeights,
  ctx: ExplainContext,
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
  return parts.map(([name, c]) => reasonFor(name, i, signals[name]!, ctx, c / total));
}
