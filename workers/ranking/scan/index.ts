/**
 * A vector index for top-k by dot product or cosine: an approximate scan over
 * int8 (or f32) rows in a WASM SIMD kernel (plain JS where WebAssembly SIMD is
 * unavailable or blocked by CSP), then an exact re-rank of the best candidates
 * against the original f32 rows. The result equals the exact top-k of
 * ../topk.ts over exact scores, except where an int8 rounding error reorders
 * rows across the candidate cut (near-ties far below the k-th score's margin).
 *
 * Exact scores use the same arithmetic as ../content.ts (a float64 sum of
 * f32 products, stored as f32), so cosine results match `searchScores` bit
 * for bit. Rows with a non-finite value skip the scan and are always scored
 * exactly; a non-finite query is scored exactly against every row.
 */
import { TastebudError } from '../../../lib/errors';
import { createF32Scanner, createI8Scanner, type ApproxScanner, type ScanKernelName, type ScanPrecision } from './kernels';
import { rowIsFinite } from './quantize';
import { rankExactly, selectCandidates, type RankedRows } from './select';

export type { ScanKernelName, ScanPrecision } from './kernels';
export type ScanMetric = 'dot' | 'cosine';

export interface VectorIndexOptions {
  /** Row format of the approximate scan (default 'int8': 4× fewer bytes per query). */
  precision?: ScanPrecision;
  /** 'cosine' scores like content.ts `searchScores` (zero rows and a zero query score 0). Default 'dot'. */
  metric?: ScanMetric;
  /** 'auto' (default) uses WASM SIMD when it compiles; 'js' forces the fallback. */
  kernel?: 'auto' | 'js';
  /** Candidates re-scored exactly per query (at least k); default `defaultCandidates(n, k)`. */
  candidates?: number;
}

export interface VectorIndex {
  readonly size: number;
  readonly dim: number;
  readonly precision: ScanPrecision;
  readonly metric: ScanMetric;
  readonly kernel: ScanKernelName;
  /** Bytes held by the scan rows (and read once per query); the original f32 rows are the caller's. */
  readonly bytes: number;
  /** The k best rows, best first, with exact scores. `allowed(i)` filters rows; k > size returns every allowed row. */
  topK(query: Float32Array, k: number, allowed?: (index: number) => boolean): RankedRows;
  dispose(): void;
}

/** Enough candidates that int8 rounding almost never pushes a true top-k row out (see bench/results/TOPK.md). */
export function defaultCandidates(n: number, k: number): number {
  return Math.min(n, Math.max(8 * k, 256));
}

/** `vectors` is n × dim row-major and is kept (not copied) for the exact re-rank: do not change it while the index is in use. */
export function createVectorIndex(vectors: Float32Array, dim: number, options: VectorIndexOptions = {}): VectorIndex {
  if (!Number.isInteger(dim) || dim < 1) throw new RangeError(`dim must be a positive integer, got ${dim}`);
  if (vectors.length % dim !== 0) throw new RangeError(`vectors has ${vectors.length} values, not a multiple of dim ${dim}`);
  const n = vectors.length / dim;
  const precision = options.precision ?? 'int8';
  const metric = options.metric ?? 'dot';
  const norms = new Float64Array(metric === 'cosine' ? n : 0);
  const special = new Set<number>();
  for (let i = 0; i < n; i++) {
    if (!rowIsFinite(vectors, dim, i)) special.add(i);
    if (metric === 'cosine') {
      let s = 0;
      const o = i * dim;
      for (let d = 0; d < dim; d++) { const x = vectors[o + d]!; s += x * x; }
      norms[i] = Math.fround(Math.sqrt(s)); // content.ts rowNorms keeps norms as f32
    }
  }
  const weight = metric === 'cosine' ? (i: number) => (norms[i]! > 0 ? 1 / norms[i]! : 0) : () => 1;
  const input = { vectors, dim, n, weight, skip: special, wasm: options.kernel !== 'js' };
  let scanner: ApproxScanner | null = precision === 'int8' ? createI8Scanner(input) : createF32Scanner(input);

  const exactScore = (query: Float32Array, qn: number) => (i: number): number => {
    const o = i * dim;
    let dot = 0;
    for (let d = 0; d < dim; d++) dot += vectors[o + d]! * query[d]!;
    if (metric === 'dot') return dot;
    const xn = norms[i]!;
    if (qn === 0 || xn === 0) return 0;
    return Math.max(-1, Math.min(1, dot / (qn * xn)));
  };

  return {
    size: n, dim, precision, metric,
    kernel: scanner.kernel,
    bytes: scanner.bytes,
    topK(query, k, allowed) {
      if (!scanner) throw new TastebudError('disposed', 'this vector index was disposed');
      if (query.length !== dim) throw new RangeError(`query has ${query.length} dimensions, expected ${dim}`);
      if (!(k >= 1) || n === 0) return { indices: new Int32Array(0), scores: new Float32Array(0) };
      let qq = 0;
      let finite = true;
      for (let d = 0; d < dim; d++) { const x = query[d]!; qq += x * x; if (!Number.isFinite(x)) finite = false; }
      const exact = exactScore(query, Math.sqrt(qq));
      if (!finite) return rankExactly(allRows(n, allowed), k, exact);
      const c = Math.max(Math.min(n, Math.floor(k)), options.candidates ?? defaultCandidates(n, k));
      const candidates = selectCandidates(scanner.scan(query), n, c, allowed);
      const extra = [...special].filter((i) => !allowed || allowed(i));
      return rankExactly(extra.length > 0 ? [...candidates, ...extra] : candidates, k, exact);
    },
    dispose() { scanner?.dispose(); scanner = null; },
  };
}

function* allRows(n: number, allowed?: (index: number) => boolean): Generator<number> {
  for (let i = 0; i < n; i++) if (!allowed || allowed(i)) yield i;
}
