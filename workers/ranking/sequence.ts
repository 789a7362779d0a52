/** Turns a sequence model's scores into a ranking signal over the catalog. */
import type { Catalog } from './catalog';
import type { SignalScores } from './signals';
import { modelIndexColumn } from './columns';

/**
 * `modelScores[m]` is the logit of model item m (0 = padding). Items the model
 * does not know score 0. Known items get exp(logit − max logit), i.e. their
 * softmax probability relative to the best item: 1 for the model's top pick,
 * falling off as fast as the model's own confidence does.
 */
export function sequenceSignal(modelScores: Float32Array, vocabulary: Map<string, number>, catalog: Catalog): SignalScores {
  const n = catalog.items.length;
  const scores = new Float32Array(n);
  let max = -Infinity;
  const modelIndex = modelIndexColumn(catalog, vocabulary);
  for (let i = 0; i < n; i++) {
    const m = modelIndex[i]!;
    if (m > 0 && modelScores[m]! > max) max = modelScores[m]!;
  }
  if (max === -Infinity) return { scores };
  for (let i = 0; i < n; i++) {
    const m = modelIndex[i]!;
    if (m > 0) scores[i] = Math.exp(modelScores[m]! - max);
  }
  return { scores };
}

/** History positions with the most attention, as catalog indices, strongest first. */
export function topContributors(historyCatalogIdx: readonly number[], contributions: Float32Array, count: number): number[] {
  const offset = historyCatalogIdx.length - contributions.length;
  const best = new Map<number, number>();
  contributions.forEach((w, j) => {
    const idx = historyCatalogIdx[offset + j]!;
    best.set(idx, (best.get(idx) ?? 0) + w);
  });
  return [...best.entries()]
    .sort((a, b) => b[1] - a[1])
    .slice(0, count)
    .map(([idx]) => idx);
}

/**
 * Splits every item's sequence score over the history items by their attention
 * (summed over repeats): the model gives one weighting of its input, so each
 * item's part from history item h is score × share(h).
 */
export function attentionAttribution(
  signal: SignalScores,
  historyCatalogIdx: readonly number[],
  contributions: Float32Array,
): SignalScores {
  const offset = historyCatalogIdx.length - contributions.length;
  const shares = new Map<number, number>();
  let total = 0;
  contributions.forEach((w, j) => {
    const idx = historyCatalogIdx[offset + j]!;
    if (idx < 0 || !(w > 0)) return;
    shares.set(idx, (shares.get(idx) ?? 0) + w);
    total += w;
  });
  const attribute = (i: number): Map<number, number> =>
    new Map([...shares].map(([h, w]) => [h, (signal.scores[i]! * w) / total] as [number, number]));
  return total > 0 ? { ...signal, attribute } : signal;
}
