/** Top-k over a score array with a size-k min-heap: O(n log k), no full sort. */

/**
 * Indices of the k largest scores, best first. `allowed(i)` filters candidates;
 * NaN scores never win. Ties keep the lower index first (stable, deterministic).
 */
export function topK(scores: ArrayLike<number>, k: number, allowed?: (index: number) => boolean): number[] {
  const heapIdx: number[] = [];
  const heapVal: number[] = [];
  // "a is worse than b": lower score, or equal score and higher index.
  const worse = (ia: number, va: number, ib: number, vb: number): boolean => va < vb || (va === vb && ia > ib);
  const siftUp = (pos: number): void => {
    while (pos > 0) {
      const parent = (pos - 1) >> 1;
      if (!worse(heapIdx[pos]!, heapVal[pos]!, heapIdx[parent]!, heapVal[parent]!)) break;
      swap(pos, parent);
      pos = parent;
    }
  };
  const siftDown = (pos: number): void => {
    const n = heapIdx.length;
    for (;;) {
      const l = 2 * pos + 1;
      const r = l + 1;
      let m = pos;
      if (l < n && worse(heapIdx[l]!, heapVal[l]!, heapIdx[m]!, heapVal[m]!)) m = l;
      if (r < n && worse(heapIdx[r]!, heapVal[r]!, heapIdx[m]!, heapVal[m]!)) m = r;
      if (m === pos) return;
      swap(pos, m);
      pos = m;
    }
  };
  const swap = (a: number, b: number): void => {
    const ti = heapIdx[a]!;
    heapIdx[a] = heapIdx[b]!;
    heapIdx[b] = ti;
    const tv = heapVal[a]!;
    heapVal[a] = heapVal[b]!;
    heapVal[b] = tv;
  };
  if (k <= 0) return [];
  for (let i = 0; i < scores.length; i++) {
    const v = scores[i]!;
    if (Number.isNaN(v)) continue;
    if (allowed && !allowed(i)) continue;
    if (heapIdx.length < k) {
      heapIdx.push(i);
      heapVal.push(v);
      siftUp(heapIdx.length - 1);
    } else if (worse(heapIdx[0]!, heapVal[0]!, i, v)) {
      heapIdx[0] = i;
      heapVal[0] = v;
      siftDown(0);
    }
  }
  const order = heapIdx.map((idx, j) => [idx, heapVal[j]!] as const);
  order.sort((a, b) => b[1] - a[1] || a[0] - b[0]);
  return order.map(([idx]) => idx);
}
