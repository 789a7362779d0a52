/**
 * Fits blend weights on held-out items: coordinate ascent over a grid per
 * signal (the sequence weight stays 1), maximising NDCG@10 of the full
 * ranking with the user's own items masked. Pure: precomputed signals in,
 * weights and metrics out. Scores are blended with the worker's own `blend()`.
 */
import { blend } from '../workers/ranking/rank';
import type { BlendWeights, SignalName } from '../workers/ranking/weights';
import type { SignalScores } from '../workers/ranking/signals';
import { MetricAccumulator, rankOfTarget as rankFromOne } from './metrics';

export interface BlendCase {
  signals: Partial<Record<SignalName, SignalScores>>;
  /** Catalog index of the held-out item. */
  target: number;
  /** Catalog indices of the user's history (masked unless equal to the target). */
  seen: Int32Array;
}

export interface BlendMetrics {
  users: number;
  ndcg10: number;
  hr10: number;
}

/**
 * Non-negative: the worker drops negative weights from a manifest (`parseBlend`). Fine at the low end:
 * the sequence signal is exp(logit − max logit), near 0 for all but the model's top picks, so useful
 * weights for the others on a strong model are small.
 */
export const WEIGHT_GRID: readonly number[] = [
  0, 0.001, 0.002, 0.005, 0.01, 0.02, 0.035, 0.05, 0.075, 0.1, 0.15, 0.2, 0.35, 0.5, 0.75, 1, 1.5, 2, 3,
];

export const ZERO_WEIGHTS: BlendWeights = { sequence: 0, cooccurrence: 0, tags: 0, popularity: 0, contentText: 0, contentImage: 0 };

/** Only `names` set, the rest 0. */
export function weightsOf(values: Partial<BlendWeights>): BlendWeights {
  return { ...ZERO_WEIGHTS, ...values };
}

/**
 * Rank of a catalog index (from 0) with `seen` masked: the leave-one-out rank of
 * training/metrics.ts, which counts items from 1 after a padding slot — hence offset −1 and ids + 1.
 */
export function rankOfTarget(scores: Float32Array, target: number, seen: Int32Array): number {
  return rankFromOne(
    scores,
    target + 1,
    Int32Array.from(seen, (j) => j + 1),
    scores.length,
    -1,
  );
}

/** NDCG@10 / HR@10 of the ranks in `acc` (training/metrics.ts's accumulator, the one `eval` reports with). */
export function blendMetrics(acc: MetricAccumulator): BlendMetrics {
  const m = acc.result();
  return { users: m.users, ndcg10: m.ndcg10, hr10: m.hr10 };
}

export function evaluateBlend(cases: readonly BlendCase[], weights: BlendWeights): BlendMetrics {
  const acc = new MetricAccumulator();
  for (const c of cases) {
    const size = Object.values(c.signals).find((s) => s !== undefined)?.scores.length ?? 0;
    acc.add(rankOfTarget(blend(c.signals, weights, size), c.target, c.seen));
  }
  return blendMetrics(acc);
}

export interface FitOptions {
  grid?: readonly number[];
  /** Passes over all signals (default 3; stops early when a pass changes nothing). */
  rounds?: number;
  /** Called after each signal's grid search. */
  onStep?: (info: { round: number; signal: SignalName; weight: number; ndcg10: number; evaluations: number }) => void;
}

export interface FitResult {
  /** Fitted weights: sequence 1, each fitted signal its value, the rest 0. */
  weights: BlendWeights;
  /** The fitted signals and their weights (what goes into the manifest). */
  fitted: Partial<Record<SignalName, number>>;
  sequenceOnly: BlendMetrics;
  blended: BlendMetrics;
  evaluations: number;
  rounds: number;
}

/** Coordinate ascent from sequence-only: a weight changes only when NDCG@10 strictly improves, so the fit is never worse on these cases. */
export function fitBlend(cases: readonly BlendCase[], signals: readonly SignalName[], options: FitOptions = {}): FitResult {
  const grid = options.grid ?? WEIGHT_GRID;
  const maxRounds = options.rounds ?? 3;
  const names = signals.filter((s) => s !== 'sequence');
  let weights = weightsOf({ sequence: 1 });
  const sequenceOnly = evaluateBlend(cases, weights);
  let best = sequenceOnly.ndcg10;
  let evaluations = 1;
  let rounds = 0;
  for (let round = 1; round <= maxRounds; round++) {
    rounds = round;
    let changed = false;
    for (const name of names) {
      let bestValue = weights[name];
      for (const value of grid) {
        if (value === weights[name]) continue;
        const score = evaluateBlend(cases, { ...weights, [name]: value }).ndcg10;
        evaluations++;
        if (score > best + 1e-12) {
          best = score;
          bestValue = value;
        }
      }
      if (bestValue !== weights[name]) {
        weights = { ...weights, [name]: bestValue };
        changed = true;
      }
      options.onStep?.({ round, signal: name, weight: weights[name], ndcg10: best, evaluations });
    }
    if (!changed) break;
  }
  const fitted: Partial<Record<SignalName, number>> = { sequence: 1 };
  for (const name of names) fitted[name] = weights[name];
  return { weights, fitted, sequenceOnly, blended: evaluateBlend(cases, weights), evaluations, rounds };
}
