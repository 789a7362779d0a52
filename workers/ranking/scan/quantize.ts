/**
 * Row layouts for the scan kernels: int8 codes with one scale per row, or
 * zero-padded f32 rows. Rows are padded to a multiple of 16 bytes (int8) or
 * 32 bytes (f32), the step of the SIMD kernels; padding is zero, so it adds
 * nothing to a dot product.
 */

export const I8_ROW_ALIGN = 16;
export const F32_ROW_ALIGN = 8; // floats: two f32x4 accumulators per step

export function paddedLength(dim: number, align: number): number {
  return Math.max(align, Math.ceil(dim / align) * align);
}

/**
 * One pass over the rows: each row's L2 norm, and a flag for rows with a
 * non-finite value (their sum of squares is NaN or Infinity; finite f32
 * squares cannot overflow a float64 sum).
 */
export function rowStats(vectors: Float32Array, dim: number, n: number): { norms: Float64Array; nonFinite: Uint8Array } {
  const norms = new Float64Array(n);
  const nonFinite = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    const o = i * dim;
    let s = 0;
    for (let d = 0; d < dim; d++) {
      const x = vectors[o + d]!;
      s += x * x;
    }
    norms[i] = Math.sqrt(s);
    if (!Number.isFinite(s)) nonFinite[i] = 1;
  }
  return { norms, nonFinite };
}

/**
 * Constants of the int8 error bound (see `i8ErrorBound`) over the quantised rows:
 * a = max_i w_i·(‖x_i‖ + step_i·√dim/2), b = max_i w_i·step_i·√dim/2.
 */
export interface I8BoundTerms {
  a: number;
  b: number;
}

/**
 * codes[i·rowLen + d] = round(x[i,d] / step_i), step_i = max_d |x[i,d]| / 127,
 * and scales[i] = step_i · weight[i] (weight: e.g. 1 / ‖x_i‖ for cosine), so
 * that Σ codes·q ≈ x_i·q / step_q. Rows flagged in `skip` keep code 0 and
 * scale 0. `codes` and `scales` must be zero-filled (fresh arrays or memory).
 */
export function quantizeRowsI8(
  vectors: Float32Array,
  dim: number,
  n: number,
  rowLen: number,
  codes: Int8Array,
  scales: Float32Array,
  weight: (i: number) => number,
  skip: Uint8Array,
): I8BoundTerms {
  const halfRootDim = Math.sqrt(dim) / 2;
  let a = 0;
  let b = 0;
  for (let i = 0; i < n; i++) {
    if (skip[i]) continue;
    const o = i * dim;
    const c = i * rowLen;
    let max = 0;
    let sq = 0;
    // Branch-free (Math.max / Math.abs / Math.floor): random signs would defeat branch prediction.
    for (let d = 0; d < dim; d++) {
      const x = vectors[o + d]!;
      max = Math.max(max, Math.abs(x));
      sq += x * x;
    }
    if (max === 0) continue;
    const step = max / 127;
    const inv = 127 / max; // |x·inv| ≤ 127 (+1 ulp), so every code fits an int8
    for (let d = 0; d < dim; d++) codes[c + d] = Math.floor(vectors[o + d]! * inv + 0.5);
    const w = weight(i);
    scales[i] = step * w;
    a = Math.max(a, w * (Math.sqrt(sq) + step * halfRootDim));
    b = Math.max(b, w * step * halfRootDim);
  }
  return { a, b };
}

/**
 * A bound on |w_i·(x_i·q) − approx_i·step_q| for every quantised row. With
 * x = s_x·c_x + e_x (|e_x,d| ≤ s_x/2) and q = s_q·c_q + e_q (|e_q,d| ≤ s_q/2):
 * x·q − s_x·s_q·c_x·c_q = s_x·c_x·e_q + e_x·q, and Cauchy–Schwarz gives
 * ≤ (‖x‖ + s_x√d/2)·s_q√d/2 + s_x√d/2·‖q‖.
 */
export function i8ErrorBound(terms: I8BoundTerms, dim: number, queryStep: number, queryNorm: number): number {
  return (terms.a * queryStep * Math.sqrt(dim)) / 2 + terms.b * queryNorm;
}

/** The query as int16 codes of its int8 quantisation (the kernel's layout); returns the step, 0 for a zero query. */
export function quantizeQueryI8(query: Float32Array, dim: number, out: Int16Array): number {
  out.fill(0);
  let max = 0;
  for (let d = 0; d < dim; d++) max = Math.max(max, Math.abs(query[d]!));
  if (max === 0) return 0;
  const step = max / 127;
  for (let d = 0; d < dim; d++) out[d] = Math.round(query[d]! / step);
  return step;
}

/** Rows copied into the zero-filled `out` with stride rowLen; rows flagged in `skip` stay zero. weight(i) multiplies row i (1 / ‖x_i‖ for cosine). Returns the largest weighted row norm. */
export function padRowsF32(
  vectors: Float32Array,
  dim: number,
  n: number,
  rowLen: number,
  out: Float32Array,
  weight: (i: number) => number,
  skip: Uint8Array,
): number {
  let maxNorm = 0;
  for (let i = 0; i < n; i++) {
    if (skip[i]) continue;
    const o = i * dim;
    const r = i * rowLen;
    const w = weight(i);
    let sq = 0;
    for (let d = 0; d < dim; d++) {
      const x = vectors[o + d]! * w;
      out[r + d] = x;
      sq += x * x;
    }
    maxNorm = Math.max(maxNorm, Math.sqrt(sq));
  }
  return maxNorm;
}
