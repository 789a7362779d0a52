/** Candidate selection over approximate scores, and the exact re-rank of the candidates. */
import { topK } from '../topk';

/**
 * Indices of (about) the `c` largest approximate scores among allowed rows, in
 * no particular order. A size-c min-heap on typed arrays: after it fills, most
 * rows fail the one comparison with the heap's minimum, so `allowed` is called
 * only for rows that could enter. NaN never enters.
 */
export interface Candidates {
  indices: Int32Array;
  /** The smallest approximate score among them, or -Infinity when every allowed row is a candidate. */
  floor: number;
}

export function selectCandidates(approx: Float32Array, n: number, c: number, allowed?: (index: number) => boolean): Candidates {
  const heapVal = new Float32Array(c);
  const heapIdx = new Int32Array(c);
  let size = 0;
  let i = 0;
  for (; i < n && size < c; i++) {
    const v = approx[i]!;
    if (Number.isNaN(v) || (allowed && !allowed(i))) continue;
    // sift up
    let pos = size++;
    while (pos > 0) {
      const parent = (pos - 1) >> 1;
      if (heapVal[parent]! <= v) break;
      heapVal[pos] = heapVal[parent]!;
      heapIdx[pos] = heapIdx[parent]!;
      pos = parent;
    }
    heapVal[pos] = v;
    heapIdx[pos] = i;
  }
  if (size < c || i === n) return { indices: heapIdx.slice(0, size), floor: Number.NEGATIVE_INFINITY };
  let min = heapVal[0]!;
  for (; i < n; i++) {
    const v = approx[i]!;
    if (!(v > min)) continue;
    if (allowed && !allowed(i)) continue;
    // replace the root and sift down
    let pos = 0;
    for (;;) {
      const l = 2 * pos + 1;
      if (l >= c) break;
      const r = l + 1;
      const m = r < c && heapVal[r]! < heapVal[l]! ? r : l;
      if (heapVal[m]! >= v) break;
      heapVal[pos] = heapVal[m]!;
      heapIdx[pos] = heapIdx[m]!;
      pos = m;
    }
    heapVal[pos] = v;
    heapIdx[pos] = i;
    min = heapVal[0]!;
  }
  return { indices: heapIdx, floor: min };
}

export interface RankedRows {
  indices: Int32Array;
  scores: Float32Array;
  /** Rows scored exactly for this answer (candidates after any widening). */
  rescored: number;
}

/**
 * The k best of `candidates` by `exact(i)` (stored as f32, like a score
 * array), best first; ties keep the lower index first and NaN never wins:
 * ../topk.ts over the candidates in ascending index order.
 */
export function rankExactly(candidates: Int32Array, k: number, exact: (index: number) => number): RankedRows {
  const rows = uniqueSorted(candidates);
  const scores = new Float32Array(rows.length);
  for (let j = 0; j < rows.length; j++) scores[j] = exact(rows[j]!);
  const best = topK(scores, k);
  return { indices: Int32Array.from(best, (j) => rows[j]!), scores: Float32Array.from(best, (j) => scores[j]!), rescored: rows.length };
}

function uniqueSorted(values: Int32Array): Int32Array {
  const sorted = Int32Array.from(values).sort();
  let m = 0;
  for (let j = 0; j < sorted.length; j++) if (j === 0 || sorted[j] !== sorted[m - 1]) sorted[m++] = sorted[j]!;
  return sorted.subarray(0, m);
}
