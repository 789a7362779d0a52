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

/** True when every value of row i is finite. */
export function rowIsFinite(vectors: Float32Array, dim: number, i: number): boolean {
  const o = i * dim;
  for (let d = 0; d < dim; d++) if (!Number.isFinite(vectors[o + d]!)) return false;
  return true;
}

/**
 * codes[i·rowLen + d] = round(x[i,d] / step_i), step_i = max_d |x[i,d]| / 127,
 * and scales[i] = step_i · weight[i] (weight: e.g. 1 / ‖x_i‖ for cosine), so
 * that Σ codes·q ≈ x_i·q / step_q. Rows listed in `skip` get code 0 and scale 0.
 */
export function quantizeRowsI8(vectors: Float32Array, dim: number, n: number, rowLen: number, codes: Int8Array, scales: Float32Array, weight: (i: number) => number, skip: ReadonlySet<number>): void {
  for (let i = 0; i < n; i++) {
    const o = i * dim;
    const c = i * rowLen;
    codes.fill(0, c, c + rowLen);
    scales[i] = 0;
    if (skip.has(i)) continue;
    let max = 0;
    for (let d = 0; d < dim; d++) max = Math.max(max, Math.abs(vectors[o + d]!));
    if (max === 0) continue;
    const step = max / 127;
    for (let d = 0; d < dim; d++) codes[c + d] = Math.round(vectors[o + d]! / step);
    scales[i] = step * weight(i);
  }
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

/** Rows copied into `out` with stride rowLen (padding zero); rows in `skip` are zeroed. weight(i) multiplies row i (1 / ‖x_i‖ for cosine). */
export function padRowsF32(vectors: Float32Array, dim: number, n: number, rowLen: number, out: Float32Array, weight: (i: number) => number, skip: ReadonlySet<number>): void {
  for (let i = 0; i < n; i++) {
    const o = i * dim;
    const r = i * rowLen;
    out.fill(0, r, r + rowLen);
    if (skip.has(i)) continue;
    const w = weight(i);
    for (let d = 0; d < dim; d++) out[r + d] = vectors[o + d]! * w;
  }
}
