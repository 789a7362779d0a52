/**
 * GRU4Rec-style recurrent variant: item embeddings → `blocks` stacked GRU
 * layers (hidden size = dim) → layer norm; scores = hidden · itemEmbᵀ (tied
 * output embeddings, like the SASRec model, so the same loss and scoring
 * code apply). Left padding is skipped exactly: a padded step keeps the
 * previous state.
 */
import * as tf from '@tensorflow/tfjs';
import { dense, embed, layerNorm, matMulT } from './ops';
import { p, type ForwardOptions, type ForwardResult, type ParamMap, type SasrecConfig } from './sasrec';

export function gruParamShapes(c: SasrecConfig): Array<[string, number[]]> {
  const d = c.dim;
  const out: Array<[string, number[]]> = [['item_emb', [c.numItems + 1, d]]];
  for (let l = 0; l < c.blocks; l++) out.push([`gru${l}.w`, [d, 3 * d]], [`gru${l}.u`, [d, 3 * d]], [`gru${l}.b`, [3 * d]]);
  out.push(['ln_final.gamma', [d]], ['ln_final.beta', [d]]);
  return out;
}

/** ids: B*L left-padded model item indices. Call inside tf.tidy / a gradient scope. */
export function gruForward(
  params: ParamMap,
  c: SasrecConfig,
  ids: Int32Array,
  batch: number,
  len: number,
  opts: ForwardOptions,
): ForwardResult {
  const d = c.dim;
  const rate = opts.training ? c.dropout : 0;
  const drop = (x: tf.Tensor): tf.Tensor => (rate > 0 ? tf.dropout(x, rate) : x);
  const maskData = new Float32Array(batch * len);
  for (let i = 0; i < ids.length; i++) maskData[i] = (ids[i] as number) !== 0 ? 1 : 0;
  const mask = tf.tensor3d(maskData, [batch, len, 1]);
  let x = drop(embed(p(params, 'item_emb'), ids, [batch, len]));
  for (let l = 0; l < c.blocks; l++) {
    const pre = `gru${l}.`;
    const xw = dense(x, p(params, `${pre}w`), p(params, `${pre}b`)); // [B, L, 3d]
    const u = p(params, `${pre}u`);
    const uRZ = u.slice([0, 0], [d, 2 * d]);
    const uH = u.slice([0, 2 * d], [d, d]);
    let h: tf.Tensor = tf.zeros([batch, d]);
    const outs: tf.Tensor[] = [];
    for (let t = 0; t < len; t++) {
      const xt = xw.slice([0, t, 0], [batch, 1, 3 * d]).reshape([batch, 3 * d]);
      const rz = tf.sigmoid(tf.add(xt.slice([0, 0], [batch, 2 * d]), matMulT(h, uRZ)));
      const r = rz.slice([0, 0], [batch, d]);
      const z = rz.slice([0, d], [batch, d]);
      const cand = tf.tanh(tf.add(xt.slice([0, 2 * d], [batch, d]), matMulT(tf.mul(r, h), uH)));
      const hNew = tf.add(tf.mul(z, h), tf.mul(tf.sub(1, z), cand));
      const m = mask.slice([0, t, 0], [batch, 1, 1]).reshape([batch, 1]);
      h = tf.add(tf.mul(m, hNew), tf.mul(tf.sub(1, m), h));
      outs.push(h);
    }
    x = drop(tf.stack(outs, 1));
  }
  const hidden = tf.mul(layerNorm(x, p(params, 'ln_final.gamma'), p(params, 'ln_final.beta')), mask) as tf.Tensor3D;
  const result: ForwardResult = { hidden };
  if (opts.wantAttention) {
    // No attention in a GRU: weight each input by softmax(hidden_last · itemEmb(input)) over the real positions.
    const last = hidden.slice([0, len - 1, 0], [batch, 1, d]).reshape([batch, d]);
    const emb = embed(p(params, 'item_emb'), ids, [batch, len]);
    const logits = tf.sum(tf.mul(emb, last.reshape([batch, 1, d])), -1).dataSync() as Float32Array;
    const w = new Float32Array(batch * len);
    for (let b = 0; b < batch; b++) {
      let max = -Infinity;
      for (let i = 0; i < len; i++) if (maskData[b * len + i] && (logits[b * len + i] as number) > max) max = logits[b * len + i] as number;
      let sum = 0;
      for (let i = 0; i < len; i++)
        if (maskData[b * len + i]) {
          const e = Math.exp((logits[b * len + i] as number) - max);
          w[b * len + i] = e;
          sum += e;
        }
      if (sum > 0) for (let i = 0; i < len; i++) w[b * len + i] = (w[b * len + i] as number) / sum;
    }
    result.lastAttention = w;
  }
  return result;
}
