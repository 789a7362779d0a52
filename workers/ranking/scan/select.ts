/** Candidate selection over approximate scores, and the exact re-rank of the candidates. */

/**
 * Indices of (about) the `c` largest approximate scores among allowed rows, in
 * no particular order. A size-c min-heap on typed arrays: after it fills, most
 * rows fail the one comparison with the heap's minimum, so `allowed` is called
 * only for rows that could enter. NaN never enters.
 */
export function selectCandidates(approx: Float32Array, n: number, c: number, allowed?: (index: number) => boolean): Int32Array {
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
      heapVal[pos] = heapVal[parent]!; heapIdx[pos] = heapIdx[parent]!;
      pos = parent;
    }
    heapVal[pos] = v; heapIdx[pos] = i;
  }
  if (size < c) return heapIdx.slice(0, size);
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
      heapVal[pos] = heapVal[m]!; heapIdx[pos] = heapIdx[m]!;
      pos = m;
    }
    heapVal[pos] = v; heapIdx[pos] = i;
    min = heapVal[0]!;
  }
  return heapIdx;
}

export interface RankedRows {
  indices: Int32Array;
  scores: Float32Array;
}

/**
 * The k best of `candidates` by `exact(i)` (rounded to f32, like a score
 * array), best first; ties keep the lower index first and NaN never wins,
 * as in ../topk.ts. Candidates may repeat; each row counts once.
 */
export function rankExactly(candidates: Iterable<number>, k: number, exact: (index: number) => number): RankedRows {
  const seen = new Set<number>();
  const scored: Array<[number, number]> = [];
  for (const i of candidates) {
    if (seen.has(i)) continue;
    seen.add(i);
    const s = Math.fround(exact(i));
    if (!Number.isNaN(s)) scored.push([i, s]);
  }
  scored.sort((a, b) => (b[1] - a[1]) || (a[0] - b[0]));
  const top = scored.slice(0, Math.max(0, k));
  return { indices: Int32Array.from(top, (t) => t[0]), scores: Float32Array.from(top, (t) => t[1]) };
}
