/** Pure helpers of the browser benchmark: summary statistics and rounding. */

export interface Summary {
  /** How many samples. */
  n: number;
  minMs: number;
  medianMs: number;
  /** Nearest-rank 95th percentile. */
  p95Ms: number;
}

/** Nearest-rank percentile (p in 0..100) of ascending-sorted values. */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) throw new RangeError('percentile of no samples');
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1]!;
}

export function median(sorted: readonly number[]): number {
  if (sorted.length === 0) throw new RangeError('median of no samples');
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** Rounds to a few significant decimals so the JSON stays readable. */
export function round(value: number, decimals = 2): number {
  const f = 10 ** decimals;
  return Math.round(value * f) / f;
}

export function summarize(samples: readonly number[]): Summary {
  if (samples.some((s) => !Number.isFinite(s))) throw new RangeError('samples must be finite numbers');
  const sorted = [...samples].sort((a, b) => a - b);
  return { n: sorted.length, minMs: round(sorted[0] ?? NaN), medianMs: round(median(sorted)), p95Ms: round(percentile(sorted, 95)) };
}

/** "1.8×" for a ratio, "–" when either side is missing. */
export function ratio(a: number | undefined, b: number | undefined): string {
  if (a === undefined || b === undefined || !(b > 0)) return '–';
  const r = a / b;
  return `${r >= 10 ? r.toFixed(0) : r.toFixed(1)}×`;
}
