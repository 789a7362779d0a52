/**
 * SASRec inference for serving in the worker: plain tfjs ops only (gather,
 * matMul, softmax), so it runs the same on webgpu, webgl, wasm and cpu, and
 * reads results back asynchronously (no GPU pipeline stall). Training code in
 * ./sequence/ uses JS kernels tuned for the Node wasm/cpu backends instead; the
 * two are checked against each other in test/sasrec-serve.test.ts.
 */
import * as tf from '@tensorflow/tfjs';
import type { ModelManifest } from '../../../common/model-format/manifest';
import type { SequenceModelConfig } from '../../../common/model-format/sequence';
import { sasrecParamShapes } from '../sequence/sasrec';

import { checkHistory, SequenceServerBase, type SequenceScores } from './server';

const LN_EPS = 1e-8;

/** Query–key distance (first + r) − j for query rows first.. and keys 0..L-1; 0 above the diagonal, where the mask wins. */
function distances(first: number, rows: number, L: number): tf.Tensor1D {
  const dist = new Int32Array(rows * L);
  for (let r = 0; r < rows; r++) for (let j = 0; j <= first + r; j++) dist[r * L + j] = first + r - j;
  return tf.tensor1d(dist, 'int32');
}

/** Keys and values ([heads, rows, dh] per block) of a history scored earlier, for the rows an append leaves unchanged. */
interface KeptPrefix {
  ids: Int32Array;
  keys: tf.Tensor3D[];
  values: tf.Tensor3D[];
}

function layerNorm(x: tf.Tensor2D, gamma: tf.Tensor, beta: tf.Tensor): tf.Tensor2D {
  const { mean, variance } = tf.moments(x, -1, true);
  return tf.add(tf.mul(tf.mul(tf.sub(x, mean), tf.rsqrt(tf.add(variance, LN_EPS))), gamma), beta);
}

function dense(x: tf.Tensor2D, w: tf.Tensor, b?: tf.Tensor): tf.Tensor2D {
  const y = tf.matMul(x, w as tf.Tensor2D) as tf.Tensor2D;
  return b ? tf.add<tf.Tensor2D>(y, b) : y;
}

export class SasrecServer extends SequenceServerBase {
  private prefix: KeptPrefix | null = null;

  constructor(manifest: ModelManifest, config: SequenceModelConfig, itemIds: readonly string[], weightsBytes: ArrayBuffer) {
    super(manifest, config, itemIds, weightsBytes, sasrecParamShapes(config));
  }

  /** `history`: model item indices (1..numItems), oldest first; the last maxLen are used. */
  async score(history: Int32Array): Promise<SequenceScores> {
    const ids = checkHistory(this, history).subarray(Math.max(0, history.length - this.maxLen));
    const n = this.config.numItems;
    if (ids.length === 0) return { scores: new Float32Array(n + 1), contributions: new Float32Array(0) };
    const reuse = this.cachedRows(history, ids);
    const [scoresT, attentionT] = tf.tidy(() => {
      const { hidden, attention, keys, values } = this.lastRow(ids, reuse);
      if (this.prefixCacheable(history)) this.keepPrefix(ids, keys, values);
      else this.forgetPrefix();
      return [tf.reshape(tf.matMul(hidden, this.w('item_emb') as tf.Tensor2D, false, true), [-1]), attention];
    });
    try {
      const [scores, attention] = await Promise.all([scoresT.data(), attentionT.data()]);
      return { scores: scores as Float32Array, contributions: attention as Float32Array };
    } finally {
      scoresT.dispose();
      attentionT.dispose();
    }
  }

  /**
   * Whether the rows of this history stay valid when it grows by appends:
   * positions counted from the start and a window that has not begun to
   * slide. With positions counted from the end (or a full window) every row
   * moves on append, so only the last-row saving applies.
   */
  private prefixCacheable(history: Int32Array): boolean {
    return this.config.positions === 'from-start' && history.length < this.maxLen;
  }

  /** How many leading rows of `ids` the kept keys/values cover (0: none usable). */
  private cachedRows(history: Int32Array, ids: Int32Array): number {
    const kept = this.prefix;
    if (!kept || !this.prefixCacheable(history) || kept.ids.length >= ids.length) return 0;
    for (let i = 0; i < kept.ids.length; i++) if (kept.ids[i] !== ids[i]) return 0;
    return kept.ids.length;
  }

  protected override forgetPrefix(): void {
    if (!this.prefix) return;
    for (const t of [...this.prefix.keys, ...this.prefix.values]) t.dispose();
    this.prefix = null;
  }

  /** Bytes held for the kept prefix (0 when none): blocks × 2 × rows × dim × 4. */
  keptBytes(): number {
    return this.prefix ? [...this.prefix.keys, ...this.prefix.values].reduce((sum, t) => sum + t.size * 4, 0) : 0;
  }

  private keepPrefix(ids: Int32Array, keys: tf.Tensor3D[], values: tf.Tensor3D[]): void {
    this.forgetPrefix();
    this.prefix = { ids: ids.slice(), keys: keys.map((k) => tf.keep(k)), values: values.map((v) => tf.keep(v)) };
  }

  /**
   * The final position's hidden state ([1, dim]) and attention, computing
   * rows `reuse`.. only (earlier rows' keys and values come from the kept
   * prefix) and, in the last block, the final query row only.
   */
  private lastRow(
    ids: Int32Array,
    reuse: number,
  ): { hidden: tf.Tensor2D; attention: tf.Tensor; keys: tf.Tensor3D[]; values: tf.Tensor3D[] } {
    const { dim: d, heads: h, blocks, maxLen } = this.config;
    const L = ids.length;
    const dh = d / h;
    const past = reuse > 0 ? this.prefix : null;
    const fresh = ids.subarray(reuse);
    const firstPosition = this.config.positions === 'from-start' ? 0 : maxLen - L;
    let x = tf.mul(tf.gather(this.w('item_emb') as tf.Tensor2D, tf.tensor1d(fresh, 'int32')), Math.sqrt(d)) as tf.Tensor2D;
    x = tf.add(x, tf.slice(this.w('pos_emb'), [firstPosition + reuse, 0], [fresh.length, d]));
    const heads = (t: tf.Tensor2D): tf.Tensor3D => tf.transpose(tf.reshape(t, [t.shape[0], h, dh]), [1, 0, 2]);
    const kind = this.config.attention;
    const scale = 1 / Math.sqrt(dh);
    const keys: tf.Tensor3D[] = [];
    const values: tf.Tensor3D[] = [];
    let attentionSum = tf.zeros([L]);
    for (let b = 0; b < blocks; b++) {
      const w = (name: string): tf.Tensor => this.w(`block${b}.${name}`);
      // query rows: every fresh row feeds the next block; the last block needs the final row only
      const first = b === blocks - 1 ? L - 1 : reuse;
      const m = L - first;
      const rows = (t: tf.Tensor2D): tf.Tensor2D => (first === reuse ? t : tf.slice(t, [first - reuse, 0], [m, d]));
      const attention = (qIn: tf.Tensor2D, kvIn: tf.Tensor2D): tf.Tensor2D => {
        let k = heads(dense(kvIn, w('wk'), w('bk')));
        let v = heads(dense(kvIn, w('wv'), w('bv')));
        if (past) {
          k = tf.concat([past.keys[b]!, k], 1);
          v = tf.concat([past.values[b]!, v], 1);
        }
        keys.push(k);
        values.push(v);
        const q = heads(dense(qIn, w('wq'), w('bq')));
        let logits = tf.mul(tf.matMul(q, k, false, true), scale);
        if (this.config.relativeBias === true)
          logits = tf.add(logits, tf.reshape(tf.gather(w('rel_bias'), distances(first, m, L), 1), [h, m, L]));
        // row r (position first + r) sees keys j <= first + r
        const visible = tf.linalg.bandPart(tf.ones([m, L]), -1, first);
        let probs: tf.Tensor3D;
        if (kind === 'silu' || kind === 'silu-mean') {
          const weight = kind === 'silu' ? tf.div(visible, maxLen) : tf.div(visible, tf.range(first + 1, L + 1).reshape([m, 1]));
          probs = tf.mul(tf.mul(logits, tf.sigmoid(logits)), weight) as tf.Tensor3D;
        } else probs = tf.softmax(tf.add(logits, tf.mul(tf.sub(1, visible), -1e9))) as tf.Tensor3D;
        attentionSum = tf.add(attentionSum, tf.mean(tf.slice(probs, [0, m - 1, 0], [h, 1, L]).reshape([h, L]), 0));
        const attended = tf.reshape(tf.transpose(tf.matMul(probs, v), [1, 0, 2]), [m, d]) as tf.Tensor2D;
        return dense(attended, w('wo'), w('bo'));
      };
      if (this.config.block === 'ligr') {
        const normed = layerNorm(x, w('ln1.gamma'), w('ln1.beta'));
        const xq = rows(x);
        const gate = (name: string, input: tf.Tensor2D): tf.Tensor => tf.sigmoid(dense(input, w(`${name}.w`), w(`${name}.b`)));
        let y = tf.add<tf.Tensor2D>(xq, tf.mul(gate('gate1', xq), attention(rows(normed), normed)));
        const ffIn = layerNorm(y, w('ln2.gamma'), w('ln2.beta'));
        const a = dense(ffIn, w('w1'));
        const ff = dense(tf.mul(tf.mul(a, tf.sigmoid(a)), dense(ffIn, w('w3'))), w('w2'));
        y = tf.add<tf.Tensor2D>(y, tf.mul(gate('gate2', y), ff));
        x = y;
      } else {
        const qIn = layerNorm(rows(x), w('ln1.gamma'), w('ln1.beta'));
        let y = tf.add<tf.Tensor2D>(qIn, attention(qIn, x));
        y = layerNorm(y, w('ln2.gamma'), w('ln2.beta'));
        x = tf.add(y, dense(tf.relu(dense(y, w('w1'), w('b1'))), w('w2'), w('b2')));
      }
    }
    const hidden = layerNorm(x, this.w('ln_final.gamma'), this.w('ln_final.beta'));
    return { hidden, attention: tf.div(attentionSum, blocks), keys, values };
  }

  hiddenStates(ids: Int32Array): tf.Tensor2D {
    return this.forward(ids).hidden;
  }

  private forward(ids: Int32Array): { hidden: tf.Tensor2D; attention: tf.Tensor } {
    const { dim: d, heads: h, blocks, maxLen } = this.config;
    const L = ids.length;
    const dh = d / h;
    const itemEmb = this.w('item_emb') as tf.Tensor2D;
    let x = tf.mul(tf.gather(itemEmb, tf.tensor1d(ids, 'int32')), Math.sqrt(d)) as tf.Tensor2D;
    const firstPosition = this.config.positions === 'from-start' ? 0 : maxLen - L;
    x = tf.add(x, tf.slice(this.w('pos_emb'), [firstPosition, 0], [L, d]));
    // Additive causal mask: position i attends to j <= i only.
    const visible = tf.linalg.bandPart(tf.ones([L, L]), -1, 0);
    const mask = tf.mul(tf.sub(1, visible), -1e9);
    // pointwise SiLU weights: the causal mask divided by maxLen ('silu') or by each query's visible keys, i + 1 ('silu-mean')
    const kind = this.config.attention;
    const pointwise =
      kind === 'silu' ? tf.div(visible, maxLen) : kind === 'silu-mean' ? tf.div(visible, tf.range(1, L + 1).reshape([L, 1])) : null;
    const scale = 1 / Math.sqrt(dh);
    // query–key distance i − j for the learned relative bias (above the diagonal the mask wins)
    let distance: tf.Tensor1D | null = null;
    if (this.config.relativeBias === true) {
      const dist = new Int32Array(L * L);
      for (let i = 0; i < L; i++) for (let j = 0; j <= i; j++) dist[i * L + j] = i - j;
      distance = tf.tensor1d(dist, 'int32');
    }
    let attentionSum = tf.zeros([L]);
    const heads = (t: tf.Tensor2D): tf.Tensor3D => tf.transpose(tf.reshape(t, [L, h, dh]), [1, 0, 2]);
    for (let b = 0; b < blocks; b++) {
      const w = (name: string): tf.Tensor => this.w(`block${b}.${name}`);
      const attention = (qIn: tf.Tensor2D, kvIn: tf.Tensor2D): tf.Tensor2D => {
        const q = heads(dense(qIn, w('wq'), w('bq')));
        const k = heads(dense(kvIn, w('wk'), w('bk')));
        const v = heads(dense(kvIn, w('wv'), w('bv')));
        let logits = tf.mul(tf.matMul(q, k, false, true), scale);
        if (distance) logits = tf.add(logits, tf.reshape(tf.gather(w('rel_bias'), distance, 1), [h, L, L]));
        const probs = (pointwise ? tf.mul(tf.mul(logits, tf.sigmoid(logits)), pointwise) : tf.softmax(tf.add(logits, mask))) as tf.Tensor3D;
        attentionSum = tf.add(attentionSum, tf.mean(tf.slice(probs, [0, L - 1, 0], [h, 1, L]).reshape([h, L]), 0));
        const attended = tf.reshape(tf.transpose(tf.matMul(probs, v), [1, 0, 2]), [L, d]) as tf.Tensor2D;
        return dense(attended, w('wo'), w('bo'));
      };
      if (this.config.block === 'ligr') {
        const gate = (name: string): tf.Tensor => tf.sigmoid(dense(x, w(`${name}.w`), w(`${name}.b`)));
        const normed = layerNorm(x, w('ln1.gamma'), w('ln1.beta'));
        x = tf.add(x, tf.mul(gate('gate1'), attention(normed, normed)));
        const ffIn = layerNorm(x, w('ln2.gamma'), w('ln2.beta'));
        const a = dense(ffIn, w('w1'));
        const ff = dense(tf.mul(tf.mul(a, tf.sigmoid(a)), dense(ffIn, w('w3'))), w('w2'));
        x = tf.add(x, tf.mul(gate('gate2'), ff));
      } else {
        const qIn = layerNorm(x, w('ln1.gamma'), w('ln1.beta'));
        x = tf.add(qIn, attention(qIn, x));
        x = layerNorm(x, w('ln2.gamma'), w('ln2.beta'));
        x = tf.add(x, dense(tf.relu(dense(x, w('w1'), w('b1'))), w('w2'), w('b2')));
      }
    }
    const hidden = layerNorm(x, this.w('ln_final.gamma'), this.w('ln_final.beta'));
    return { hidden, attention: tf.div(attentionSum, blocks) };
  }
}
