/**
 * Leave-one-out ranking metrics (see ../shared/datasets/README.md):
 * full ranking over items 1..n, items of the input sequence masked (the
 * target never), rank = number of other items scoring >= the target (ties
 * count against it), HR@k = [rank < k], NDCG@k = [rank < k] / log2(rank + 2).
 */
export const CUTOFFS = [5, 10, 20] as const;

export interface RankingMetrics {
  users: number;
  hr5: number;
  hr10: number;
  hr20: number;
  ndcg5: number;
  ndcg10: number;
  ndcg20: number;
  /** Mean reciprocal rank (1 / (rank + 1)). */
  mrr: number;
}

/**
 * Rank of `target` among items 1..numItems given `scores` (index 0 = padding,
 * ignored), with `seen` items masked unless equal to the target.
 */
export function rankOfTarget(scores: ArrayLike<number>, target: number, seen: ArrayLike<number>, numItems: number, offset = 0): number {
  const st = scores[offset + target] as number;
  if (Number.isNaN(st)) return numItems - 1;
  let count = 0;
  for (let j = 1; j <= numItems; j++) {
    if ((scores[offset + j] as number) >= st) count++;
  }
  count--; // the target itself
  // masked items that were counted (each distinct item once)
  const done = new Set<number>();
  for (let i = 0; i < seen.length; i++) {
    const j = seen[i] as number;
    if (j === target || j <= 0 || j > numItems || done.has(j)) continue;
    done.add(j);
    if ((scores[offset + j] as number) >= st) count--;
  }
  return count;
}

export class MetricAccumulator {
  private n = 0;
  private readonly hr = new Map<number, number>();
  private readonly ndcg = new Map<number, number>();
  private rr = 0;

  add(rank: number): void {
    this.n++;
    this.rr += 1 / (rank + 1);
    for (const k of CUTOFFS) {
      if (rank < k) {
        this.hr.set(k, (this.hr.get(k) ?? 0) + 1);
        this.ndcg.set(k, (this.ndcg.get(k) ?? 0) + 1 / Math.log2(rank + 2));
      }
    }
  }

  result(): RankingMetrics {
    const n = Math.max(1, this.n);
    const hr = (k: number): number => (this.hr.get(k) ?? 0) / n;
    const nd = (k: number): number => (this.ndcg.get(k) ?? 0) / n;
    return {
      users: this.n,
      hr5: hr(5),
      hr10: hr(10),
      hr20: hr(20),
      ndcg5: nd(5),
      ndcg10: nd(10),
      ndcg20: nd(20),
      mrr: this.rr / n,
    };
  }
}

export function round4(m: RankingMetrics): RankingMetrics {
  const r = (x: number): number => Math.round(x * 1e4) / 1e4;
  return {
    users: m.users,
    hr5: r(m.hr5),
    hr10: r(m.hr10),
    hr20: r(m.hr20),
    ndcg5: r(m.ndcg5),
    ndcg10: r(m.ndcg10),
    ndcg20: r(m.ndcg20),
    mrr: r(m.mrr),
  };
}

/** Scores all items (row-major B × (numItems + 1)) for a batch of histories. */
export type BatchScorer = (histories: readonly Int32Array[]) => Float32Array;

/** The leave-one-out cases of `evalUsers`, shortest input first (keeps batches dense). */
export function leaveOneOutCases(
  seqs: readonly Int32Array[],
  evalUsers: readonly number[],
  which: 'valid' | 'test',
): { inputs: Int32Array[]; targets: Int32Array } {
  const cut = which === 'valid' ? 2 : 1;
  const order = [...evalUsers].sort((a, b) => (seqs[a] as Int32Array).length - (seqs[b] as Int32Array).length);
  const inputs = order.map((u) => {
    const s = seqs[u] as Int32Array;
    return s.subarray(0, s.length - cut);
  });
  const targets = Int32Array.from(order, (u) => {
    const s = seqs[u] as Int32Array;
    return s[s.length - cut] as number;
  });
  return { inputs, targets };
}

/** Rank of each case's target (its own input masked), scoring `batchSize` histories at a time. */
export function rankCases(
  score: BatchScorer,
  numItems: number,
  inputs: readonly Int32Array[],
  targets: Int32Array,
  batchSize = 256,
): Int32Array {
  const ranks = new Int32Array(inputs.length);
  const width = numItems + 1;
  for (let i = 0; i < inputs.length; i += batchSize) {
    const batch = inputs.slice(i, i + batchSize);
    const scores = score(batch);
    batch.forEach((input, b) => {
      ranks[i + b] = rankOfTarget(scores, targets[i + b] as number, input, numItems, b * width);
    });
  }
  return ranks;
}

export function metricsOfRanks(ranks: ArrayLike<number>): RankingMetrics {
  const acc = new MetricAccumulator();
  for (let i = 0; i < ranks.length; i++) acc.add(ranks[i] as number);
  return acc.result();
}

/**
 * Leave-one-out evaluation of `evalUsers` (indices into `seqs`, each with
 * >= 3 items). `which` = 'valid': input = all but the last two, target =
 * second-to-last; 'test': input = all but the last, target = last.
 */
export function evaluateLeaveOneOut(
  score: BatchScorer,
  numItems: number,
  seqs: readonly Int32Array[],
  evalUsers: readonly number[],
  which: 'valid' | 'test',
  batchSize = 256,
): RankingMetrics {
  const { inputs, targets } = leaveOneOutCases(seqs, evalUsers, which);
  return metricsOfRanks(rankCases(score, numItems, inputs, targets, batchSize));
}

/** Popularity scores: interaction counts over the training parts. */
export function popularityScorer(train: readonly Int32Array[], numItems: number): BatchScorer {
  const counts = new Float32Array(numItems + 1);
  for (const s of train) for (let i = 0; i < s.length; i++) counts[s[i] as number] = (counts[s[i] as number] as number) + 1;
  return (histories) => {
    const out = new Float32Array(histories.length * (numItems + 1));
    for (let b = 0; b < histories.length; b++) out.set(counts, b * (numItems + 1));
    return out;
  };
}
