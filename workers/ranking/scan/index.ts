/**
 * A vector index for top-k by dot product or cosine: an approximate scan over
 * int8 (or f32) rows in a WASM SIMD kernel (plain JS where WebAssembly SIMD is
 * unavailable or blocked by CSP), then an exact re-rank of the best candidates
 * against the original f32 rows. The candidate set widens (×4) until a bound
 * on the scan's error proves that no other row can reach the k-th exact
 * score, so the result equals ../topk.ts over exact scores: ties and all.
 *
 * Exact scores use the same arithmetic as ../content.ts (a float64 sum of
 * f32 products, stored as f32), so cosine results match `searchScores`
 * (without precomputed norms) bit for bit, NaN rows scoring 0 as there. Rows with a non-finite value skip the scan and are always scored
 * exactly; a non-finite query is scored exactly against every row.
 */
import { TastebudError } from '../../../common/errors';
import { createF32Scanner, createI8Scanner, type ApproxScanner, type ScanKernelName, type ScanPrecision } from './kernels';
import { rowStats } from './quantize';
import { rankExactly, selectCandidates, type RankedRows } from './select';

export type { ScanKernelName, ScanPrecision } from './kernels';
export type ScanMetric = 'dot' | 'cosine';

export interface VectorIndexOptions {
  /** Row format of the approximate scan (default 'int8': 4× fewer bytes per query). */
  precision?: ScanPrecision;
  /** 'cosine' scores like content.ts `searchScores` without `norms` (rows without a positive norm and a zero query score 0). Default 'dot'. */
  metric?: ScanMetric;
  /** 'auto' (default) uses WASM SIMD when it compiles; 'js' forces the fallback. */
  kernel?: 'auto' | 'js';
  /** Candidates first re-scored exactly per query (at least k; widened as needed); default `defaultCandidates(n, k)`. */
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

/** First candidate count: usually enough for the error bound to close on random-like data (see docs/performance.md). */
export function defaultCandidates(n: number, k: number): number {
  return Math.min(n, Math.max(8 * k, 128));
}

/** `vectors` is n × dim row-major and is kept (not copied) for the exact re-rank: do not change it while the index is in use. */
export function createVectorIndex(vectors: Float32Array, dim: number, options: VectorIndexOptions = {}): VectorIndex {
  if (!Number.isInteger(dim) || dim < 1) throw new RangeError(`dim must be a positive integer, got ${dim}`);
  if (vectors.length % dim !== 0) throw new RangeError(`vectors has ${vectors.length} values, not a multiple of dim ${dim}`);
  const n = vectors.length / dim;
  const precision = options.precision ?? 'int8';
  const metric = options.metric ?? 'dot';
  const { norms, nonFinite } = rowStats(vectors, dim, n);
  const special: number[] = [];
  for (let i = 0; i < n; i++) if (nonFinite[i]) special.push(i);
  const weight = metric === 'cosine' ? (i: number) => (norms[i]! > 0 ? 1 / norms[i]! : 0) : () => 1;
  const input = { vectors, dim, n, weight, skip: nonFinite, wasm: options.kernel !== 'js' };
  let scanner: ApproxScanner | null = precision === 'int8' ? createI8Scanner(input) : createF32Scanner(input);

  const exactScore =
    (query: Float32Array, qn: number) =>
    (i: number): number => {
      const o = i * dim;
      let dot = 0;
      for (let d = 0; d < dim; d++) dot += vectors[o + d]! * query[d]!;
      if (metric === 'dot') return dot;
      const xn = norms[i]!;
      if (qn === 0 || !(xn > 0)) return 0;
      return Math.max(-1, Math.min(1, dot / (qn * xn)));
    };

  return {
    size: n,
    dim,
    precision,
    metric,
    kernel: scanner.kernel,
    bytes: scanner.bytes,
    topK(query, k, allowed) {
      if (!scanner) throw new TastebudError('disposed', 'this vector index was disposed');
      if (query.length !== dim) throw new RangeError(`query has ${query.length} dimensions, expected ${dim}`);
      if (!(k >= 1) || n === 0) return { indices: new Int32Array(0), scores: new Float32Array(0), rescored: 0 };
      k = Math.floor(k);
      let qq = 0;
      let finite = true;
      for (let d = 0; d < dim; d++) {
        const x = query[d]!;
        qq += x * x;
        if (!Number.isFinite(x)) finite = false;
      }
      const qn = Math.sqrt(qq);
      const exact = exactScore(query, qn);
      if (!finite) return rankExactly(rows(n, Infinity, allowed), k, exact);
      // Every score ties at 0 (dot: NaN for non-finite rows): the first k allowed rows win.
      if (qq === 0) return rankExactly(rows(n, k + special.length, allowed), k, exact);
      const approx = scanner.scan(query);
      const extra = Int32Array.from(allowed ? special.filter((i) => allowed(i)) : special);
      let c = Math.max(k, options.candidates ?? defaultCandidates(n, k));
      for (;;) {
        const candidates = selectCandidates(approx.scores, n, c, allowed);
        const ranked = rankExactly(concat(candidates.indices, extra), k, exact);
        if (candidates.floor === Number.NEGATIVE_INFINITY) return ranked;
        // A row outside the candidates has w·(x·q) ≤ floor·unit + error: stop once that cannot reach the k-th exact score.
        const t = candidates.floor * approx.unit;
        const reach = t + 1e-6 * Math.abs(t) + approx.error;
        const best = metric === 'dot' ? reach : Math.max(-1, Math.min(1, reach / qn));
        if (ranked.indices.length === k && Math.fround(best) < ranked.scores[k - 1]!) return ranked;
        c = Math.min(n, c * 4);
      }
    },
    dispose() {
      scanner?.dispose();
      scanner = null;
    },
  };
}

/** The first `limit` allowed rows. */
function rows(n: number, limit: number, allowed?: (index: number) => boolean): Int32Array {
  const out: number[] = [];
  for (let i = 0; i < n && out.length < limit; i++) if (!allowed || allowed(i)) out.push(i);
  return Int32Array.from(out);
}

function concat(a: Int32Array, b: Int32Array): Int32Array {
  if (b.length === 0) return a;
  const out = new Int32Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
}
