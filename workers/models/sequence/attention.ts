/**
 * Causal multi-head self-attention over left-padded sequences, forward and
 * backward as a custom gradient. The O(L²·dh) products run in WASM SIMD loops
 * (attention-loops.ts; plain JS where WASM is unavailable) that skip the
 * padding and the masked upper triangle: on tfjs-wasm, batched matmuls
 * (batch > 1) take a slow non-XNNPACK path. The softmax, bias and dropout
 * steps between them are O(L²) JS.
 * q, k, v: [B, L, dim] (heads are column blocks of dim); returns [B, L, dim]
 * with zero rows at padding positions.
 */
import * as tf from '@tensorflow/tfjs';
import { attentionLoops, type AttentionShape } from './attention-loops';
import type { CustomGradFn } from './ops';

/** Dropout on the attention weights (training only): each kept weight is scaled by 1 / (1 - rate). */
export interface AttentionDropout {
  rate: number;
  /** Uniform [0, 1) source; one draw per (row, head, query, visible key), in that order. */
  random: () => number;
}

/**
 * How attention logits become weights: 'softmax' over the visible keys, or pointwise SiLU
 * as in HSTU (Zhai et al. 2024), silu(logit) / normaliser with no normalisation across keys,
 * so a row's weights need not sum to 1 and can express how much of the history matters.
 * 'silu-mean' divides by the query's number of visible keys instead of a constant.
 */
export type AttentionWeights = { kind: 'softmax' } | { kind: 'silu'; normaliser: number } | { kind: 'silu-mean' };

export interface AttentionResult {
  out: tf.Tensor3D;
  /** [B, L] attention of the last position averaged over heads (only when asked). */
  lastAttention?: Float32Array;
}

/**
 * Heap layout in floats, every region 16-byte aligned: the lengths (as i32),
 * seven [B, L, D] tensors (0 q, 1 k, 2 v, 3 output / its gradient, 4–6 dq, dk, dv)
 * and three L×L matrices per (row, head) (0 probabilities, 1 probabilities × dropout mask,
 * 2 logit gradients).
 */
function layout(B: number, L: number, D: number, heads: number) {
  const up = (n: number): number => Math.ceil(n / 4) * 4;
  const first = up(B);
  const t = up(B * L * D);
  const m = up(B * heads * L * L);
  return {
    lens: 0,
    tensor: (i: number): number => first + i * t,
    matrix: (i: number): number => first + 7 * t + i * m,
    total: first + 7 * t + 3 * m,
  };
}

interface DropoutSink {
  M: Float32Array;
  PM: number;
  rate: number;
  random: () => number;
}

/** Pointwise SiLU weights: `G` receives d(weight)/d(logit) for the backward pass; `inverse` null = 1 / visible keys. */
interface PointwiseSink {
  G: Float32Array;
  inverse: number | null;
}

/**
 * Per (row, head, real query i), in that order: W[i, o..i] (scaled scores at heap offset P)
 * plus the relative bias, softmaxed (or SiLU-weighted) in place. With dropout, draws the keep mask M (scaled by
 * 1 / (1 − rate), one draw per visible key) and writes P·M at heap offset PM; adds the last
 * query's probabilities / heads to `last`.
 */
function softmaxRows(
  heap: Float32Array,
  P: number,
  s: AttentionShape,
  bias: Float32Array | null,
  R: number,
  drop: DropoutSink | null,
  last: Float32Array | null,
  pointwise: PointwiseSink | null,
): void {
  const { B, L, heads, lens } = s;
  const keep = drop ? 1 / (1 - drop.rate) : 1;
  for (let b = 0; b < B; b++) {
    const o = L - (lens[b] as number);
    for (let h = 0; h < heads; h++) {
      for (let i = o; i < L; i++) {
        const row = (b * heads + h) * L * L + i * L;
        const p = P + row;
        if (bias) {
          const r = h * R + i;
          for (let j = o; j <= i; j++) heap[p + j] = (heap[p + j] as number) + (bias[r - j] as number);
        }
        if (pointwise) {
          const G = pointwise.G;
          const inverse = pointwise.inverse ?? 1 / (i - o + 1);
          for (let j = o; j <= i; j++) {
            const x = heap[p + j] as number;
            const sig = 1 / (1 + Math.exp(-x));
            heap[p + j] = x * sig * inverse;
            G[row + j] = sig * (1 + x * (1 - sig)) * inverse;
          }
        } else {
          let max = -Infinity;
          for (let j = o; j <= i; j++) max = Math.max(max, heap[p + j] as number);
          let sum = 0;
          for (let j = o; j <= i; j++) {
            const e = Math.exp((heap[p + j] as number) - max);
            heap[p + j] = e;
            sum += e;
          }
          const inv = 1 / sum;
          for (let j = o; j <= i; j++) heap[p + j] = (heap[p + j] as number) * inv;
        }
        if (drop) {
          const { M, PM, rate, random } = drop;
          for (let j = o; j <= i; j++) {
            const m = random() < rate ? 0 : keep;
            M[row + j] = m;
            heap[PM + row + j] = (heap[p + j] as number) * m;
          }
        }
        if (last && i === L - 1) {
          for (let j = o; j <= i; j++) last[b * L + j] = (last[b * L + j] as number) + (heap[p + j] as number) / heads;
        }
      }
    }
  }
}

/**
 * In place at heap offset DS, per (row, head, real query i): from dy·v (times the dropout
 * mask) to the logit gradient P ⊙ (dP − Σ P·dP) (softmax) or dP ⊙ G (pointwise, G = the
 * weights' derivatives) times `scale`; the unscaled logit gradient summed per (head,
 * distance) into dBias.
 */
function logitGradients(
  heap: Float32Array,
  DS: number,
  probs: Float32Array,
  s: AttentionShape,
  M: Float32Array | null,
  dBias: Float32Array | null,
  R: number,
  scale: number,
  G: Float32Array | null,
): void {
  const { B, L, heads, lens } = s;
  for (let b = 0; b < B; b++) {
    const o = L - (lens[b] as number);
    for (let h = 0; h < heads; h++) {
      for (let i = o; i < L; i++) {
        const row = (b * heads + h) * L * L + i * L;
        const ds = DS + row;
        if (M) for (let j = o; j <= i; j++) heap[ds + j] = (heap[ds + j] as number) * (M[row + j] as number);
        if (G) {
          for (let j = o; j <= i; j++) heap[ds + j] = (heap[ds + j] as number) * (G[row + j] as number);
        } else {
          let pd = 0;
          for (let j = o; j <= i; j++) pd += (probs[row + j] as number) * (heap[ds + j] as number);
          for (let j = o; j <= i; j++) heap[ds + j] = (probs[row + j] as number) * ((heap[ds + j] as number) - pd);
        }
        if (dBias) {
          const r = h * R + i;
          for (let j = o; j <= i; j++) dBias[r - j] = (dBias[r - j] as number) + (heap[ds + j] as number);
        }
        for (let j = o; j <= i; j++) heap[ds + j] = (heap[ds + j] as number) * scale;
      }
    }
  }
}

/**
 * `lengths[b]` = number of real (non-padding) positions at the end of row b.
 * `relativeBias` ([heads, R], R ≥ L): a learned logit bias per head and distance i − j
 * between query i and key j, added to the scaled scores before the softmax (as in T5 / HSTU).
 * `weights`: softmax (default) or pointwise SiLU (see `AttentionWeights`).
 */
export function causalAttention(
  q: tf.Tensor,
  k: tf.Tensor,
  v: tf.Tensor,
  lengths: Int32Array,
  heads: number,
  wantLast = false,
  dropout?: AttentionDropout,
  relativeBias?: tf.Tensor,
  weights: AttentionWeights = { kind: 'softmax' },
): AttentionResult {
  const [B, L, D] = q.shape as [number, number, number];
  const dh = D / heads;
  const scale = 1 / Math.sqrt(dh);
  const rate = dropout && dropout.rate > 0 ? dropout.rate : 0;
  const R = relativeBias ? (relativeBias.shape[1] as number) : 0;
  if (relativeBias && (relativeBias.rank !== 2 || relativeBias.shape[0] !== heads || R < L)) {
    throw new Error(`relative bias must be [${heads}, ≥ ${L}], got [${relativeBias.shape.join(', ')}]`);
  }
  if (weights.kind === 'silu' && !(weights.normaliser > 0))
    throw new Error(`pointwise attention needs a positive normaliser, got ${weights.normaliser}`);
  const loops = attentionLoops(dh);
  const at = layout(B, L, D, heads);
  const shape: AttentionShape = { B, L, D, heads, lens: lengths, lensAt: at.lens };
  const heapWithLengths = (): Float32Array => {
    const heap = loops.heap(at.total);
    new Int32Array(heap.buffer, heap.byteOffset + at.lens * 4, B).set(lengths);
    return heap;
  };
  const [Q, K, V, OUT, DQ, DK, DV] = [0, 1, 2, 3, 4, 5, 6].map(at.tensor) as [number, number, number, number, number, number, number];
  const [P, PM, DS] = [0, 1, 2].map(at.matrix) as [number, number, number];
  const size = B * L * D;
  let lastAttention: Float32Array | undefined;
  const f = tf.customGrad(((qT: tf.Tensor, kT: tf.Tensor, vT: tf.Tensor, ...rest: unknown[]) => {
    const biasT = relativeBias ? (rest[0] as tf.Tensor) : null;
    const Bias = biasT ? (biasT.dataSync() as Float32Array) : null;
    // kept for the backward pass: the input tensors may be disposed by then
    const [qData, kData, vData] = [qT, kT, vT].map((t) => t.dataSync() as Float32Array) as [Float32Array, Float32Array, Float32Array];
    const heap = heapWithLengths();
    heap.set(qData, Q);
    heap.set(kData, K);
    heap.set(vData, V);
    heap.fill(0, OUT, OUT + size);
    loops.rowDots(Q, K, P, shape, scale);
    // probabilities in P; with attention dropout, M = keep mask scaled by 1/(1-rate) and PM = P·M
    const M = rate > 0 ? new Float32Array(B * heads * L * L) : null;
    if (wantLast) lastAttention = new Float32Array(B * L);
    const G = weights.kind === 'softmax' ? null : new Float32Array(B * heads * L * L);
    const pointwise = G ? { G, inverse: weights.kind === 'silu' ? 1 / weights.normaliser : null } : null;
    softmaxRows(heap, P, shape, Bias, R, M && dropout ? { M, PM, rate, random: dropout.random } : null, lastAttention ?? null, pointwise);
    loops.mixRows(M ? PM : P, V, OUT, shape);
    const out = heap.slice(OUT, OUT + size);
    const probs = heap.slice(P, P + B * heads * L * L);
    const probsDropped = M ? heap.slice(PM, PM + B * heads * L * L) : null;
    return {
      value: tf.tensor3d(out, [B, L, D]),
      gradFunc: (dy: tf.Tensor) => {
        const dBias = Bias ? new Float32Array(heads * R) : null;
        const heap = heapWithLengths();
        heap.set(qData, Q);
        heap.set(kData, K);
        heap.set(vData, V);
        heap.set(dy.dataSync() as Float32Array, OUT);
        heap.set(probs, P);
        if (probsDropped) heap.set(probsDropped, PM);
        heap.fill(0, DQ, DV + size);
        loops.mixRowsT(M ? PM : P, OUT, DV, shape);
        loops.rowDots(OUT, V, DS, shape, 1);
        logitGradients(heap, DS, probs, shape, M, dBias, R, scale, G);
        loops.mixRowsT(DS, Q, DK, shape);
        loops.mixRows(DS, K, DQ, shape);
        const grads: tf.Tensor[] = [
          tf.tensor3d(heap.slice(DQ, DQ + size), [B, L, D]),
          tf.tensor3d(heap.slice(DK, DK + size), [B, L, D]),
          tf.tensor3d(heap.slice(DV, DV + size), [B, L, D]),
        ];
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
