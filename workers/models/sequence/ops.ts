/**
 * Differentiable building blocks for the sequence models, written against
 * plain tfjs ops with hand-written gradients where the stock ones are slow or
 * broken on the wasm backend (see issue 4):
 *  - `matMulT`: matmul whose forward and backward transpose explicitly
 *    (transposed matmuls are ~10x slower than plain ones on wasm);
 *  - `embed` / `gatherRows`: row gather whose gradient is a JS scatter-add
 *    (the stock gradient needs `UnsortedSegmentSum`, missing on wasm);
 *  - `softmaxCrossEntropy`: fused, chunked full-softmax cross-entropy over
 *    the item table that computes loss and both gradients in one pass and
 *    never materialises the [rows, items] logits matrix;
 *  - `sampledSoftmaxCrossEntropy`: the same over each row's positive and a
 *    shared set of sampled negatives (large catalogs);
 *  - `layerNorm`.
 */
import * as tf from '@tensorflow/tfjs';

/** The callback type of tf.customGrad (its inputs are typed loosely upstream). */
export type CustomGradFn = Parameters<typeof tf.customGrad>[0];

const TRANSPOSE_LAST2 = (rank: number): number[] => {
  const perm = Array.from({ length: rank }, (_, i) => i);
  perm[rank - 1] = rank - 2;
  perm[rank - 2] = rank - 1;
  return perm;
};

function tr(x: tf.Tensor): tf.Tensor {
  return tf.transpose(x, TRANSPOSE_LAST2(x.rank));
}

/** a·b (optionally with transposes) for rank-2 or equal-batch rank-3 tensors, with explicit-transpose gradients. */
export function matMulT(a: tf.Tensor, b: tf.Tensor, transA = false, transB = false): tf.Tensor {
  const f = tf.customGrad(((x: tf.Tensor, y: tf.Tensor, save: tf.GradSaveFunc) => {
    save([x, y]);
    const xa = transA ? tr(x) : x;
    const yb = transB ? tr(y) : y;
    const value = tf.matMul(xa as tf.Tensor3D, yb as tf.Tensor3D);
    return {
      value,
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const [sx, sy] = saved as [tf.Tensor, tf.Tensor];
        const A = transA ? tr(sx) : sx;
        const B = transB ? tr(sy) : sy;
        // value = A·B: dA = dy·Bᵀ, dB = Aᵀ·dy
        const dA = tf.matMul(dy as tf.Tensor3D, tr(B) as tf.Tensor3D);
        const dB = tf.matMul(tr(A) as tf.Tensor3D, dy as tf.Tensor3D);
        return [transA ? tr(dA) : dA, transB ? tr(dB) : dB];
      },
    };
  }) as unknown as CustomGradFn);
  return f(a, b);
}

/** Dense layer over the last axis: x[..., in] · w[in, out] + b[out]. */
export function dense(x: tf.Tensor, w: tf.Tensor, b: tf.Tensor | null): tf.Tensor {
  const inDim = x.shape[x.rank - 1] as number;
  const outDim = w.shape[1] as number;
  const flat = x.reshape([-1, inDim]);
  let y = matMulT(flat, w);
  if (b) y = tf.add(y, b);
  return y.reshape([...x.shape.slice(0, -1), outDim]);
}

/** JS scatter-add: out[ids[i]] += rows[i], out has `numRows` rows of width `width`. */
export function scatterAddRows(rows: Float32Array, ids: Int32Array, numRows: number, width: number): Float32Array {
  const out = new Float32Array(numRows * width);
  for (let i = 0; i < ids.length; i++) {
    const id = ids[i] as number;
    if (id < 0) continue;
    const o = id * width;
    const r = i * width;
    for (let k = 0; k < width; k++) out[o + k] = (out[o + k] as number) + (rows[r + k] as number);
  }
  return out;
}

/** Gathers rows `ids` of a 2-D table; gradient is a scatter-add done in JS. */
export function gatherRows(table: tf.Tensor, ids: Int32Array): tf.Tensor2D {
  const [numRows, width] = table.shape as [number, number];
  const f = tf.customGrad(((t: tf.Tensor) => {
    const idx = tf.tensor1d(ids, 'int32');
    const value = tf.gather(t, idx);
    idx.dispose();
    return {
      value,
      gradFunc: (dy: tf.Tensor) => tf.tensor2d(scatterAddRows(dy.dataSync() as Float32Array, ids, numRows, width), [numRows, width]),
    };
  }) as unknown as CustomGradFn);
  return f(table) as tf.Tensor2D;
}

/** Embedding lookup reshaped to `[...shape, width]`. */
export function embed(table: tf.Tensor, ids: Int32Array, shape: number[]): tf.Tensor {
  const width = table.shape[1] as number;
  return gatherRows(table, ids).reshape([...shape, width]);
}

export function layerNorm(x: tf.Tensor, gamma: tf.Tensor, beta: tf.Tensor, eps = 1e-8): tf.Tensor {
  const mean = tf.mean(x, -1, true);
  const centered = tf.sub(x, mean);
  const variance = tf.mean(tf.square(centered), -1, true);
  return tf.add(tf.mul(tf.mul(centered, tf.rsqrt(tf.add(variance, eps))), gamma), beta);
}

export interface SoftmaxCEOptions {
  /** Target column per row of `h`. */
  targets: Int32Array;
  /** Columns excluded from the softmax (e.g. 0 = padding). */
  excludeColumn?: number;
  /** Rows per chunk (memory/speed trade-off). */
  chunkRows?: number;
  /** Further targets per row: see `LaterTargets`. */
  later?: LaterTargets;
  /** Label smoothing ε: the target keeps 1 − ε and ε is spread evenly over the softmax's columns. Default 0. */
  labelSmoothing?: number;
}

/**
 * Soft targets from the items after the next one: row i's target distribution
 * puts weight 1 on `targets[i]` and `weights[j]` on `ids[i·K + j]` (0 = none),
 * normalised to sum to 1, with K = `weights.length`.
 */
export interface LaterTargets {
  ids: Int32Array;
  weights: Float32Array;
}

/**
 * Backward of one row chunk of a fused softmax: dH rows r0.. = scale·G·table, and
 * scale·hcᵀ·G added into the transposed table gradient. Takes ownership of `hc` and `G`.
 */
function backpropChunk(
  hc: tf.Tensor2D,
  G: tf.Tensor2D,
  table: tf.Tensor2D,
  r0: number,
  dH: Float32Array,
  dTableT: Float32Array,
  scale = 1,
): void {
  const d = hc.shape[1];
  const dHc = tf.matMul(G, table);
  const dHcData = readFloats(dHc);
  const o = r0 * d;
  for (let k = 0; k < dHcData.length; k++) dH[o + k] = (dHcData[k] as number) * scale;
  const hcT = tf.transpose(hc);
  const dTc = tf.matMul(hcT, G);
  const dTcData = readFloats(dTc);
  for (let k = 0; k < dTableT.length; k++) dTableT[k] = (dTableT[k] as number) + (dTcData[k] as number) * scale;
  tf.dispose([hc, G, dHc, hcT, dTc]);
}

/**
 * softmax(logits) − the target distribution (one-hot, or spread over `later` targets, either
 * optionally smoothed) for one chunk, and the chunk's summed cross-entropy.
 * On wasm the probabilities are edited in place in the heap, so the [rows, items]
 * matrix is never copied into JS; elsewhere a copy is edited. Takes ownership of `probs`.
 */
function softmaxMinusTarget(
  probs: tf.Tensor2D,
  targets: Int32Array,
  r0: number,
  exclude: number,
  later?: LaterTargets,
  smoothing?: Smoothing,
): { g: tf.Tensor2D; loss: number } {
  const [c, v] = probs.shape;
  const inPlace = hasHeapViews();
  const p = inPlace ? readFloats(probs) : Float32Array.from(probs.dataSync() as Float32Array);
  const laterIds = later?.ids ?? new Int32Array(0);
  const laterWeights = later?.weights ?? new Float32Array(0);
  const k = laterWeights.length;
  const eps = smoothing?.eps ?? 0;
  const keep = 1 - eps;
  const spread = smoothing?.spread ?? 0;
  // float32 probabilities underflow below ~1e-38 (a loss of ~87): cap there
  const nll = (pt: number): number => -Math.log(pt > 1e-38 ? pt : 1e-38);
  let loss = 0;
  for (let i = 0; i < c; i++) {
    const row = i * v;
    const target = targets[r0 + i] as number;
    const base = (r0 + i) * k;
    // without later targets: total 1, the plain one-hot target
    let total = 1;
    for (let j = 0; j < k; j++) if ((laterIds[base + j] as number) !== 0) total += laterWeights[j] as number;
    // read every target's probability before any is lowered (an item may repeat)
    const targetNll = nll(p[row + target] as number);
    let rowLoss = targetNll / total;
    for (let j = 0; j < k; j++) {
      const id = laterIds[base + j] as number;
      if (id !== 0) rowLoss += (nll(p[row + id] as number) * (laterWeights[j] as number)) / total;
    }
    // the uniform part's cross-entropy, mean −log p over the columns, is lse − mean logit
    loss += eps > 0 ? keep * rowLoss + eps * ((smoothing?.logitGap[r0 + i] as number) + targetNll) : rowLoss;
    p[row + target] = (p[row + target] as number) - keep / total;
    for (let j = 0; j < k; j++) {
      const id = laterIds[base + j] as number;
      if (id !== 0) p[row + id] = (p[row + id] as number) - (keep * (laterWeights[j] as number)) / total;
    }
    if (eps > 0) for (let j = 0; j < v; j++) p[row + j] = (p[row + j] as number) - spread;
    if (exclude >= 0) p[row + exclude] = 0;
  }
  if (inPlace) return { g: probs, loss };
  probs.dispose();
  return { g: tf.tensor2d(p, [c, v]), loss };
}

/** Label smoothing ε, its share ε/columns per softmax column, and per row the target's logit minus the mean logit over those columns. */
interface Smoothing {
  eps: number;
  spread: number;
  logitGap: Float32Array;
}

/** Per row of `h` ([n, d]): h·table[target] − mean over the `columns` columns other than `exclude` of h·table[j]. */
function targetLogitGaps(
  hData: Float32Array,
  tableData: Float32Array,
  targets: Int32Array,
  n: number,
  d: number,
  exclude: number,
  columns: number,
): Float32Array {
  const v = tableData.length / d;
  const mean = new Float64Array(d);
  for (let j = 0; j < v; j++) {
    if (j === exclude) continue;
    for (let c = 0; c < d; c++) mean[c] = (mean[c] as number) + (tableData[j * d + c] as number);
  }
  const gaps = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    const t = (targets[i] as number) * d;
    let g = 0;
    for (let c = 0; c < d; c++) g += (hData[i * d + c] as number) * ((tableData[t + c] as number) - (mean[c] as number) / columns);
    gaps[i] = g;
  }
  return gaps;
}

/** [d, rows] → [rows, d]. */
function untranspose(t: Float32Array, d: number, rows: number): Float32Array {
  const out = new Float32Array(rows * d);
  for (let k = 0; k < d; k++) {
    const o = k * rows;
    for (let j = 0; j < rows; j++) out[j * d + k] = t[o + j] as number;
  }
  return out;
}

/** Gradients computed in the forward pass, scaled by the upstream dy. */
function scaledByDy(dy: tf.Tensor, grads: Array<[Float32Array, number[]]>): tf.Tensor[] {
  const s = dy.dataSync()[0] as number;
  return grads.map(([a, shape]) => tf.tensor(s === 1 ? a : a.map((x) => x * s), shape));
}

/**
 * Mean cross-entropy of softmax(h·tableᵀ) against `targets`, computed in
 * row chunks. Loss and both gradients are computed in the forward pass (one
 * pass over the logits, the softmax itself a backend kernel: SIMD on wasm);
 * the gradient function only scales them by dy.
 */
export function softmaxCrossEntropy(h: tf.Tensor2D, table: tf.Tensor2D, opts: SoftmaxCEOptions): tf.Scalar {
  const f = tf.customGrad(((hIn: tf.Tensor, tIn: tf.Tensor) => {
    const [n, d] = hIn.shape as [number, number];
    const v = tIn.shape[0] as number;
    const chunk = Math.max(1, Math.min(n, opts.chunkRows ?? 512));
    const exclude = opts.excludeColumn ?? -1;
    const hData = hIn.dataSync() as Float32Array;
    const tableT = tf.transpose(tIn);
    // an excluded column gets a logit so low that its probability is exactly 0
    const columnMask = exclude >= 0 ? tf.tensor1d(Float32Array.from({ length: v }, (_, j) => (j === exclude ? -1e30 : 0))) : null;
    const dH = new Float32Array(n * d);
    // the table gradient is accumulated transposed ([d, v] = hcᵀ·G), so G is never transposed
    const dTableT = new Float32Array(d * v);
    const inv = 1 / n;
    const eps = opts.labelSmoothing ?? 0;
    const columns = exclude >= 0 ? v - 1 : v;
    const smoothing =
      eps > 0
        ? {
            eps,
            spread: eps / columns,
            logitGap: targetLogitGaps(hData, tIn.dataSync() as Float32Array, opts.targets, n, d, exclude, columns),
          }
        : undefined;
    let loss = 0;
    for (let r0 = 0; r0 < n; r0 += chunk) {
      const c = Math.min(chunk, n - r0);
      const hc = tf.tensor2d(hData.subarray(r0 * d, (r0 + c) * d), [c, d]);
      const probs = tf.tidy(() => {
        const logits = tf.matMul(hc, tableT);
        return tf.softmax(columnMask ? tf.add(logits, columnMask) : logits) as tf.Tensor2D;
      });
      const chunkResult = softmaxMinusTarget(probs, opts.targets, r0, exclude, opts.later, smoothing);
      loss += chunkResult.loss;
      backpropChunk(hc, chunkResult.g, tIn as tf.Tensor2D, r0, dH, dTableT, inv);
    }
    tf.dispose([tableT, ...(columnMask ? [columnMask] : [])]);
    const dTable = untranspose(dTableT, d, v);
    return {
      value: tf.scalar(loss * inv),
      gradFunc: (dy: tf.Tensor) =>
        scaledByDy(dy, [
          [dH, [n, d]],
          [dTable, [v, d]],
        ]),
    };
  }) as unknown as CustomGradFn);
  return f(h, table) as tf.Scalar;
}

export interface SampledSoftmaxOptions {
  /** Item id of each row's positive (a negative equal to it is masked out for that row). */
  targets: Int32Array;
  /** Item id of each shared negative. */
  negativeIds: Int32Array;
  /** Added to every negative logit; log(catalog size / negatives) for uniform sampling, so each negative stands for the items it represents. */
  negativeLogitOffset: number;
  chunkRows?: number;
}

/**
 * Sampled-softmax cross-entropy with shared negatives: row i's candidates are
 * its own positive (h_i · positives_i) and every row of `negatives`. The
 * negatives' matmuls cost k/catalog of the full softmax, which is what makes
 * catalogs of 100k+ items trainable. Loss and gradients in one pass, like
 * `softmaxCrossEntropy`.
 */
export function sampledSoftmaxCrossEntropy(
  h: tf.Tensor2D,
  positives: tf.Tensor2D,
  negatives: tf.Tensor2D,
  opts: SampledSoftmaxOptions,
): tf.Scalar {
  const hits = new Map<number, number[]>();
  opts.negativeIds.forEach((id, j) => {
    const list = hits.get(id);
    if (list) list.push(j);
    else hits.set(id, [j]);
  });
  const f = tf.customGrad(((hIn: tf.Tensor, pIn: tf.Tensor, nIn: tf.Tensor) => {
    const [n, d] = hIn.shape as [number, number];
    const k = nIn.shape[0] as number;
    const chunk = Math.max(1, Math.min(n, opts.chunkRows ?? 512));
    const hData = hIn.dataSync() as Float32Array;
    const pData = pIn.dataSync() as Float32Array;
    const negT = tf.transpose(nIn);
    const dH = new Float32Array(n * d);
    const dP = new Float32Array(n * d);
    const dNegT = new Float32Array(d * k);
    const g = new Float32Array(chunk * k);
    const gPos = new Float32Array(chunk);
    const inv = 1 / n;
    const offset = opts.negativeLogitOffset;
    let loss = 0;
    for (let r0 = 0; r0 < n; r0 += chunk) {
      const c = Math.min(chunk, n - r0);
      const hc = tf.tensor2d(hData.subarray(r0 * d, (r0 + c) * d), [c, d]);
      const logitsT = tf.matMul(hc, negT);
      const logits = readFloats(logitsT);
      for (let i = 0; i < c; i++) {
        const base = i * k;
        const row = (r0 + i) * d;
        let pos = 0;
        for (let t = 0; t < d; t++) pos += (hData[row + t] as number) * (pData[row + t] as number);
        const masked = hits.get(opts.targets[r0 + i] as number);
        if (masked) for (const j of masked) logits[base + j] = -Infinity;
        let max = pos;
        for (let j = 0; j < k; j++) {
          const z = (logits[base + j] as number) + offset;
          if (z > max) max = z;
        }
        let sum = Math.exp(pos - max);
        const ePos = sum;
        for (let j = 0; j < k; j++) {
          const e = Math.exp((logits[base + j] as number) + offset - max);
          g[base + j] = e;
          sum += e;
        }
        loss += Math.log(sum) + max - pos;
        const scale = inv / sum;
        for (let j = 0; j < k; j++) g[base + j] = (g[base + j] as number) * scale;
        gPos[i] = ePos * scale - inv;
      }
      logitsT.dispose();
      backpropChunk(hc, tf.tensor2d(g.length === c * k ? g : g.subarray(0, c * k), [c, k]), nIn as tf.Tensor2D, r0, dH, dNegT);
      for (let i = 0; i < c; i++) {
        const gp = gPos[i] as number;
        const row = (r0 + i) * d;
        for (let t = 0; t < d; t++) {
          dH[row + t] = (dH[row + t] as number) + gp * (pData[row + t] as number);
          dP[row + t] = gp * (hData[row + t] as number);
        }
      }
    }
    negT.dispose();
    const dNeg = untranspose(dNegT, d, k);
    return {
      value: tf.scalar(loss * inv),
      gradFunc: (dy: tf.Tensor) =>
        scaledByDy(dy, [
          [dH, [n, d]],
          [dP, [n, d]],
          [dNeg, [k, d]],
        ]),
    };
  }) as unknown as CustomGradFn);
  return f(h, positives, negatives) as tf.Scalar;
}

interface HeapBackend {
  typedArrayFromHeap(t: tf.TensorInfo): tf.TypedArray;
}

function hasHeapViews(): boolean {
  return tf.getBackend() === 'wasm' && typeof (tf.backend() as unknown as Partial<HeapBackend>).typedArrayFromHeap === 'function';
}

/**
 * A float32 tensor's values without a copy where the backend allows it (wasm:
 * a view of its heap, valid only until the next tfjs allocation, so read it at
 * once); otherwise `dataSync()`.
 */
export function readFloats(t: tf.Tensor): Float32Array {
  if (t.dtype === 'float32' && hasHeapViews()) return (tf.backend() as unknown as HeapBackend).typedArrayFromHeap(t) as Float32Array;
  return t.dataSync() as Float32Array;
}
