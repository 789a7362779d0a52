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

function layerNorm(x: tf.Tensor2D, gamma: tf.Tensor, beta: tf.Tensor): tf.Tensor2D {
  const { mean, variance } = tf.moments(x, -1, true);
  return tf.add(tf.mul(tf.mul(tf.sub(x, mean), tf.rsqrt(tf.add(variance, LN_EPS))), gamma), beta);
}

function dense(x: tf.Tensor2D, w: tf.Tensor, b?: tf.Tensor): tf.Tensor2D {
  const y = tf.matMul(x, w as tf.Tensor2D) as tf.Tensor2D;
  return b ? tf.add<tf.Tensor2D>(y, b) : y;
}

export class SasrecServer extends SequenceServerBase {
  constructor(manifest: ModelManifest, config: SequenceModelConfig, itemIds: readonly string[], weightsBytes: ArrayBuffer) {
    super(manifest, config, itemIds, weightsBytes, sasrecParamShapes(config));
  }

  /** `history`: model item indices (1..numItems), oldest first; the last maxLen are used. */
  async score(history: Int32Array): Promise<SequenceScores> {
    const ids = checkHistory(this, history).subarray(Math.max(0, history.length - this.maxLen));
    const n = this.config.numItems;
    if (ids.length === 0) return { scores: new Float32Array(n + 1), contributions: new Float32Array(0) };
    const [scoresT, attentionT] = tf.tidy(() => {
      const { hidden, attention } = this.forward(ids);
      const last = tf.slice(hidden, [ids.length - 1, 0], [1, this.config.dim]);
      return [tf.reshape(tf.matMul(last, this.w('item_emb') as tf.Tensor2D, false, true), [-1]), attention];
    });
    try {
      const [scores, attention] = await Promise.all([scoresT.data(), attentionT.data()]);
      return { scores: scores as Float32Array, contributions: attention as Float32Array };
    } finally {
      scoresT.dispose();
      attentionT.dispose();
    }
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
