/**
 * Causal multi-head self-attention over left-padded sequences, computed in
 * plain JS loops (forward and backward). On tfjs-wasm, batched matmuls
 * (batch > 1) take a slow non-XNNPACK path (~1.3 GFLOP/s); these loops skip
 * the padding and the masked upper triangle, which is cheaper overall.
 * q, k, v: [B, L, dim] (heads are column blocks of dim); returns [B, L, dim]
 * with zero rows at padding positions. Browser-safe: no Node imports.
 */
import * as tf from '@tensorflow/tfjs';
import type { CustomGradFn } from './ops';

type Vec = Float32Array | Float64Array;

function dot(a: Vec, ao: number, b: Vec, bo: number, n: number): number {
  let s0 = 0; let s1 = 0; let s2 = 0; let s3 = 0;
  let t = 0;
  for (; t + 3 < n; t += 4) {
    s0 += (a[ao + t] as number) * (b[bo + t] as number);
    s1 += (a[ao + t + 1] as number) * (b[bo + t + 1] as number);
    s2 += (a[ao + t + 2] as number) * (b[bo + t + 2] as number);
    s3 += (a[ao + t + 3] as number) * (b[bo + t + 3] as number);
  }
  for (; t < n; t++) s0 += (a[ao + t] as number) * (b[bo + t] as number);
  return s0 + s1 + s2 + s3;
}

/** y[yo..yo+n) += alpha * x[xo..xo+n) */
function axpy(alpha: number, x: Vec, xo: number, y: Vec, yo: number, n: number): void {
  let t = 0;
  for (; t + 3 < n; t += 4) {
    y[yo + t] = (y[yo + t] as number) + alpha * (x[xo + t] as number);
    y[yo + t + 1] = (y[yo + t + 1] as number) + alpha * (x[xo + t + 1] as number);
    y[yo + t + 2] = (y[yo + t + 2] as number) + alpha * (x[xo + t + 2] as number);
    y[yo + t + 3] = (y[yo + t + 3] as number) + alpha * (x[xo + t + 3] as number);
  }
  for (; t < n; t++) y[yo + t] = (y[yo + t] as number) + alpha * (x[xo + t] as number);
}

/**
 * y[yo..yo+n) += Σ_{j=j0..j1} w[wo + j] · rows[base + j·stride ..+n), four rows at a time.
 */
function weightedRows(w: Vec, wo: number, j0: number, j1: number, rows: Vec, base: number, stride: number, y: Vec, yo: number, n: number): void {
  let j = j0;
  for (; j + 3 <= j1; j += 4) {
    const w0 = w[wo + j] as number; const w1 = w[wo + j + 1] as number; const w2 = w[wo + j + 2] as number; const w3 = w[wo + j + 3] as number;
    const r0 = base + j * stride;
    const r1 = r0 + stride; const r2 = r1 + stride; const r3 = r2 + stride;
    for (let t = 0; t < n; t++) {
      y[yo + t] = (y[yo + t] as number) + w0 * (rows[r0 + t] as number) + w1 * (rows[r1 + t] as number) + w2 * (rows[r2 + t] as number) + w3 * (rows[r3 + t] as number);
    }
  }
  for (; j <= j1; j++) axpy(w[wo + j] as number, rows, base + j * stride, y, yo, n);
}

/** Dropout on the attention weights (training only): each kept weight is scaled by 1 / (1 - rate). */
export interface AttentionDropout {
  rate: number;
  /** Uniform [0, 1) source; one draw per (row, head, query, visible key), in that order. */
  random: () => number;
}

export interface AttentionResult {
  out: tf.Tensor3D;
  /** [B, L] attention of the last position averaged over heads (only when asked). */
  lastAttention?: Float32Array;
}

/**
 * `lengths[b]` = number of real (non-padding) positions at the end of row b.
 * `relativeBias` ([heads, R], R ≥ L): a learned logit bias per head and distance i − j
 * between query i and key j, added to the scaled scores before the softmax (as in T5 / HSTU).
 */
export function causalAttention(q: tf.Tensor, k: tf.Tensor, v: tf.Tensor, lengths: Int32Array, heads: number, wantLast = false, dropout?: AttentionDropout, relativeBias?: tf.Tensor): AttentionResult {
  const [B, L, D] = q.shape as [number, number, number];
  const dh = D / heads;
  const scale = 1 / Math.sqrt(dh);
  const rate = dropout && dropout.rate > 0 ? dropout.rate : 0;
  const R = relativeBias ? (relativeBias.shape[1] as number) : 0;
  if (relativeBias && (relativeBias.rank !== 2 || relativeBias.shape[0] !== heads || R < L)) {
    throw new Error(`relative bias must be [${heads}, ≥ ${L}], got [${relativeBias.shape.join(', ')}]`);
  }
  let lastAttention: Float32Array | undefined;
  const f = tf.customGrad(((qT: tf.Tensor, kT: tf.Tensor, vT: tf.Tensor, ...rest: unknown[]) => {
    const save = rest[rest.length - 1] as tf.GradSaveFunc;
    const biasT = relativeBias ? (rest[0] as tf.Tensor) : null;
    const Q = Float64Array.from(qT.dataSync() as Float32Array);
    const K = Float64Array.from(kT.dataSync() as Float32Array);
    const V = Float64Array.from(vT.dataSync() as Float32Array);
    const Bias = biasT ? (biasT.dataSync() as Float32Array) : null;
    const out = new Float32Array(B * L * D);
    // probabilities, per (b, head): L×L, rows/cols only for real positions
    const P = new Float64Array(B * heads * L * L);
    // with attention dropout: M = keep mask scaled by 1/(1-rate), and the output uses P·M
    const M = rate > 0 ? new Float32Array(B * heads * L * L) : null;
    const PM = rate > 0 ? new Float64Array(L) : null;
    if (wantLast) lastAttention = new Float32Array(B * L);
    for (let b = 0; b < B; b++) {
      const n = lengths[b] as number;
      const o = L - n;
      for (let h = 0; h < heads; h++) {
        const c0 = h * dh;
        const pBase = (b * heads + h) * L * L;
        for (let i = o; i < L; i++) {
          const qi = (b * L + i) * D + c0;
          const prow = pBase + i * L;
          let max = -Infinity;
          let j = o;
          for (; j + 3 <= i; j += 4) {
            const k0 = (b * L + j) * D + c0;
            let s0 = 0; let s1 = 0; let s2 = 0; let s3 = 0;
            for (let t = 0; t < dh; t++) {
              const qv = Q[qi + t] as number;
              s0 += qv * (K[k0 + t] as number);
              s1 += qv * (K[k0 + D + t] as number);
              s2 += qv * (K[k0 + 2 * D + t] as number);
              s3 += qv * (K[k0 + 3 * D + t] as number);
            }
            s0 *= scale; s1 *= scale; s2 *= scale; s3 *= scale;
            if (Bias) {
              const r = h * R + i - j;
              s0 += Bias[r] as number; s1 += Bias[r - 1] as number; s2 += Bias[r - 2] as number; s3 += Bias[r - 3] as number;
            }
            P[prow + j] = s0; P[prow + j + 1] = s1; P[prow + j + 2] = s2; P[prow + j + 3] = s3;
            max = Math.max(max, s0, s1, s2, s3);
          }
          for (; j <= i; j++) {
            const s = dot(Q, qi, K, (b * L + j) * D + c0, dh) * scale + (Bias ? (Bias[h * R + i - j] as number) : 0);
            P[prow + j] = s;
            if (s > max) max = s;
          }
          let sum = 0;
          for (let jj = o; jj <= i; jj++) { const e = Math.exp((P[prow + jj] as number) - max); P[prow + jj] = e; sum += e; }
          const inv = 1 / sum;
          for (let jj = o; jj <= i; jj++) P[prow + jj] = (P[prow + jj] as number) * inv;
          const oi = (b * L + i) * D + c0;
          if (M && PM && dropout) {
            const keep = 1 / (1 - rate);
            for (let jj = o; jj <= i; jj++) {
              const m = dropout.random() < rate ? 0 : keep;
              M[prow + jj] = m;
              PM[jj] = (P[prow + jj] as number) * m;
            }
            weightedRows(PM, 0, o, i, V, b * L * D + c0, D, out, oi, dh);
          } else {
            weightedRows(P, prow, o, i, V, b * L * D + c0, D, out, oi, dh);
          }
          if (lastAttention && i === L - 1) {
            for (let j = o; j <= i; j++) lastAttention[b * L + j] = (lastAttention[b * L + j] as number) + (P[prow + j] as number) / heads;
          }
        }
      }
    }
    save([qT, kT, vT]);
    return {
      value: tf.tensor3d(out, [B, L, D]),
      gradFunc: (dy: tf.Tensor) => {
        const G = Float64Array.from(dy.dataSync() as Float32Array);
        const dQ = new Float32Array(B * L * D);
        const dK = new Float32Array(B * L * D);
        const dV = new Float32Array(B * L * D);
        const dP = new Float64Array(L);
        const dS = new Float64Array(L);
        const dBias = Bias ? new Float32Array(heads * R) : null;
        for (let b = 0; b < B; b++) {
          const n = lengths[b] as number;
          const o = L - n;
          for (let h = 0; h < heads; h++) {
            const c0 = h * dh;
            const pBase = (b * heads + h) * L * L;
            for (let i = o; i < L; i++) {
              const gi = (b * L + i) * D + c0;
              const prow = pBase + i * L;
              let pd = 0;
              for (let j = o; j <= i; j++) {
                const vj = (b * L + j) * D + c0;
                const p = P[prow + j] as number;
                const m = M ? (M[prow + j] as number) : 1;
                const s = dot(G, gi, V, vj, dh) * m;
                if (m !== 0) axpy(p * m, G, gi, dV, vj, dh);
                dP[j] = s;
                pd += p * s;
              }
              const qi = gi;
              for (let j = o; j <= i; j++) {
                const dLogit = (P[prow + j] as number) * ((dP[j] as number) - pd);
                if (dBias) dBias[h * R + i - j] = (dBias[h * R + i - j] as number) + dLogit;
                const ds = dLogit * scale;
                dS[j] = ds;
                if (ds !== 0) axpy(ds, Q, qi, dK, (b * L + j) * D + c0, dh);
              }
              weightedRows(dS, 0, o, i, K, b * L * D + c0, D, dQ, qi, dh);
            }
          }
        }
        const grads: tf.Tensor[] = [tf.tensor3d(dQ, [B, L, D]), tf.tensor3d(dK, [B, L, D]), tf.tensor3d(dV, [B, L, D])];
        if (dBias) grads.push(tf.tensor2d(dBias, [heads, R]));
        return grads;
      },
    };
  }) as unknown as CustomGradFn);
  const out = (relativeBias ? f(q, k, v, relativeBias) : f(q, k, v)) as tf.Tensor3D;
  const res: AttentionResult = { out };
  if (lastAttention) res.lastAttention = lastAttention;
  return res;
}
