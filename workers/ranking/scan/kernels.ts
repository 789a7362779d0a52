/**
 * Approximate scans: one score per row for a query, by the WASM SIMD kernels
 * of scan.wat or by their plain-JS twins, which give bit-identical scores
 * (same integer sums / same f32 lane order), so the two paths rank alike.
 */
import { F32_ROW_ALIGN, I8_ROW_ALIGN, i8ErrorBound, padRowsF32, paddedLength, quantizeQueryI8, quantizeRowsI8 } from './quantize';
import { ensureMemory, instantiateScan } from './wasm';

export type ScanPrecision = 'int8' | 'f32';
export type ScanKernelName = 'wasm-simd' | 'js';

export interface ApproxScanner {
  readonly precision: ScanPrecision;
  readonly kernel: ScanKernelName;
  /** Bytes the scanner holds (codes, scales, padded rows) and reads per query. */
  readonly bytes: number;
  /** Approximate scores of every row; the array is reused by the next call. */
  scan(query: Float32Array): ApproxScores;
  dispose(): void;
}

export interface ApproxScores {
  /** scores[i]·unit ≈ w_i·(x_i·q), within ±error for every row not skipped (f32 rounding aside: < 1e-6 relative). */
  scores: Float32Array;
  unit: number;
  error: number;
}

export interface ScannerInput {
  vectors: Float32Array;
  dim: number;
  n: number;
  /** Multiplies row i's score (1 / ‖x_i‖ for cosine, 1 for dot). */
  weight: (i: number) => number;
  /** Rows flagged 1 score 0 here (the caller scores them exactly). */
  skip: Uint8Array;
  /** Use the WASM kernel when this runtime can run it. */
  wasm: boolean;
}

const align16 = (x: number): number => Math.ceil(x / 16) * 16;

function norm(v: Float32Array, dim: number): number {
  let s = 0;
  for (let d = 0; d < dim; d++) s += v[d]! * v[d]!;
  return Math.sqrt(s);
}

export function createI8Scanner(input: ScannerInput): ApproxScanner {
  const { vectors, dim, n } = input;
  const rowLen = paddedLength(dim, I8_ROW_ALIGN);
  let exports = input.wasm ? instantiateScan() : null;
  const vecOff = 0;
  const scaleOff = align16(n * rowLen);
  const queryOff = align16(scaleOff + 4 * n);
  const outOff = align16(queryOff + 2 * rowLen);
  let codes: Int8Array;
  let scales: Float32Array;
  let query: Int16Array;
  let out: Float32Array;
  if (exports) {
    ensureMemory(exports.memory, outOff + 4 * n);
    const buf = exports.memory.buffer;
    codes = new Int8Array(buf, vecOff, n * rowLen);
    scales = new Float32Array(buf, scaleOff, n);
    query = new Int16Array(buf, queryOff, rowLen);
    out = new Float32Array(buf, outOff, n);
  } else {
    codes = new Int8Array(n * rowLen);
    scales = new Float32Array(n);
    query = new Int16Array(rowLen);
    out = new Float32Array(n);
  }
  const terms = quantizeRowsI8(vectors, dim, n, rowLen, codes, scales, input.weight, input.skip);
  return {
    precision: 'int8',
    kernel: exports ? 'wasm-simd' : 'js',
    bytes: n * rowLen + 4 * n,
    scan(q) {
      // The query step is a common positive factor, left out of the kernel and returned as the unit.
      const step = quantizeQueryI8(q, dim, query);
      const result = { scores: out, unit: step, error: i8ErrorBound(terms, dim, step, norm(q, dim)) };
      if (exports) {
        exports.scanI8(vecOff, queryOff, scaleOff, outOff, n, rowLen);
        return result;
      }
      for (let i = 0; i < n; i++) {
        const c = i * rowLen;
        let sum = 0;
        for (let d = 0; d < dim; d++) sum += codes[c + d]! * query[d]!;
        out[i] = Math.fround(sum) * scales[i]!;
      }
      return result;
    },
    dispose() {
      exports = null;
      codes = new Int8Array(0);
      scales = new Float32Array(0);
      out = new Float32Array(0);
    },
  };
}

export function createF32Scanner(input: ScannerInput): ApproxScanner {
  const { vectors, dim, n } = input;
  const rowLen = paddedLength(dim, F32_ROW_ALIGN);
  let exports = input.wasm ? instantiateScan() : null;
  const vecOff = 0;
  const queryOff = align16(4 * n * rowLen);
  const outOff = align16(queryOff + 4 * rowLen);
  let rows: Float32Array;
  let query: Float32Array;
  let out: Float32Array;
  if (exports) {
    ensureMemory(exports.memory, outOff + 4 * n);
    const buf = exports.memory.buffer;
    rows = new Float32Array(buf, vecOff, n * rowLen);
    query = new Float32Array(buf, queryOff, rowLen);
    out = new Float32Array(buf, outOff, n);
  } else {
    rows = new Float32Array(n * rowLen);
    query = new Float32Array(rowLen);
    out = new Float32Array(n);
  }
  const maxNorm = padRowsF32(vectors, dim, n, rowLen, rows, input.weight, input.skip);
  const lanes = new Float64Array(8);
  return {
    precision: 'f32',
    kernel: exports ? 'wasm-simd' : 'js',
    bytes: 4 * n * rowLen,
    scan(q) {
      query.fill(0);
      query.set(q.subarray(0, dim));
      // f32 rounding only: a sum of rowLen products, each step off by ≤ 2^-24 relative, bounded by ‖x‖·‖q‖ (plus the weighting's rounding).
      const result = { scores: out, unit: 1, error: (rowLen + 4) * 2 ** -23 * maxNorm * norm(q, dim) };
      if (exports) {
        exports.scanF32(vecOff, queryOff, outOff, n, rowLen * 4);
        return result;
      }
      const f = Math.fround;
      for (let i = 0; i < n; i++) {
        const r = i * rowLen;
        lanes.fill(0);
        // Lane l of accumulator a sums elements ≡ l (mod 8), of b those ≡ 4 + l: the kernel's order.
        for (let d = 0; d < rowLen; d++) lanes[d & 7] = f(lanes[d & 7]! + f(rows[r + d]! * query[d]!));
        const s0 = f(lanes[0]! + lanes[4]!);
        const s1 = f(lanes[1]! + lanes[5]!);
        const s2 = f(lanes[2]! + lanes[6]!);
        const s3 = f(lanes[3]! + lanes[7]!);
        out[i] = f(f(s0 + s1) + f(s2 + s3));
      }
      return result;
    },
    dispose() {
      exports = null;
      rows = new Float32Array(0);
      out = new Float32Array(0);
    },
  };
}
