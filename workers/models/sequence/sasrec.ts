/**
 * SASRec (Kang & McAuley 2018) in plain tfjs ops: learned item + position
 * embeddings, causal self-attention blocks with layer norm and a point-wise
 * FFN (the layout of the widely used PyTorch port), scores = hidden · itemEmbᵀ.
 * Sequences are left-padded with 0. Position embeddings are indexed from the
 * end of the window ('from-end', the original SASRec layout: the newest item
 * always has position maxLen - 1) or from its first real item ('from-start',
 * as in right-padded implementations: position i = the i-th item of the
 * window). Either way a length-L input without padding gives exactly the same
 * outputs as the same input padded to maxLen.
 */
import * as tf from '@tensorflow/tfjs';
import { type AttentionWeights, causalAttention } from './attention';
import { dense, embed, layerNorm } from './ops';
import type { SasrecConfig } from '../../../common/model-format/sequence';

export type { AttentionKind, BlockLayout, PositionOrigin, SasrecConfig } from '../../../common/model-format/sequence';

export type ParamMap = Map<string, tf.Variable>;
export type SequenceArchConfig = SasrecConfig;

/** Parameter names and shapes, in serialisation order. */
export function sasrecParamShapes(c: SasrecConfig): Array<[string, number[]]> {
  const d = c.dim;
  const out: Array<[string, number[]]> = [
    ['item_emb', [c.numItems + 1, d]],
    ['pos_emb', [c.maxLen, d]],
  ];
  const hiddenFF = d * (c.ffMultiplier ?? 4);
  for (let b = 0; b < c.blocks; b++) {
    const p = `block${b}.`;
    out.push(
      [`${p}ln1.gamma`, [d]],
      [`${p}ln1.beta`, [d]],
      [`${p}wq`, [d, d]],
      [`${p}bq`, [d]],
      [`${p}wk`, [d, d]],
      [`${p}bk`, [d]],
      [`${p}wv`, [d, d]],
      [`${p}bv`, [d]],
      [`${p}wo`, [d, d]],
      [`${p}bo`, [d]],
      [`${p}ln2.gamma`, [d]],
      [`${p}ln2.beta`, [d]],
    );
    if (c.relativeBias === true) out.push([`${p}rel_bias`, [c.heads, c.maxLen]]);
    if (c.block === 'ligr') {
      out.push(
        [`${p}gate1.w`, [d, d]],
        [`${p}gate1.b`, [d]],
        [`${p}gate2.w`, [d, d]],
        [`${p}gate2.b`, [d]],
        [`${p}w1`, [d, hiddenFF]],
        [`${p}w3`, [d, hiddenFF]],
        [`${p}w2`, [hiddenFF, d]],
      );
    } else {
      out.push([`${p}w1`, [d, d]], [`${p}b1`, [d]], [`${p}w2`, [d, d]], [`${p}b2`, [d]]);
    }
  }
  out.push(['ln_final.gamma', [d]], ['ln_final.beta', [d]]);
  return out;
}

/** A parameter by name (shared by the architectures). */
export function p(params: ParamMap, name: string): tf.Variable {
  const v = params.get(name);
  if (!v) throw new Error(`missing parameter ${name}`);
  return v;
}

export interface ForwardOptions {
  training: boolean;
  /** Collect the last position's attention (averaged over heads and blocks). */
  wantAttention?: boolean;
  /** Uniform [0, 1) source for attention-weight dropout (default Math.random). */
  random?: () => number;
}

export interface ForwardResult {
  /** [B, L, dim] final hidden states. */
  hidden: tf.Tensor3D;
  /** [B, L] attention of the last position over the inputs (averaged over heads and blocks), if asked. */
  lastAttention?: Float32Array;
}

/**
 * ids: B*L model item indices (row-major, left-padded with 0).
 * Must be called inside tf.tidy / a gradient scope.
 */
export function sasrecForward(
  params: ParamMap,
  c: SasrecConfig,
  ids: Int32Array,
  batch: number,
  len: number,
  opts: ForwardOptions,
): ForwardResult {
  if (len > c.maxLen) throw new Error(`sequence length ${len} exceeds maxLen ${c.maxLen}`);
  const d = c.dim;
  const h = c.heads;
  const rate = opts.training ? c.dropout : 0;
  const drop = (x: tf.Tensor, r = rate): tf.Tensor => (r > 0 ? tf.dropout(x, r) : x);
  const attnOutRate = opts.training ? (c.attentionOutputDropout ?? c.dropout) : 0;
  const attnRate = opts.training ? (c.attentionDropout ?? 0) : 0;
  const attnDropout = attnRate > 0 ? { rate: attnRate, random: opts.random ?? Math.random } : undefined;
  const attnWeights: AttentionWeights =
    c.attention === 'silu'
      ? { kind: 'silu', normaliser: c.maxLen }
      : c.attention === 'silu-mean'
        ? { kind: 'silu-mean' }
        : { kind: 'softmax' };

  // timeline mask and real lengths (left padding)
  const maskData = new Float32Array(batch * len);
  const lengths = new Int32Array(batch);
  for (let b = 0; b < batch; b++) {
    let n = 0;
    for (let i = 0; i < len; i++) {
      const real = (ids[b * len + i] as number) !== 0;
      maskData[b * len + i] = real ? 1 : 0;
      if (real) n = len - i > n ? len - i : n;
    }
    lengths[b] = n;
  }
  const timeline = tf.tensor3d(maskData, [batch, len, 1]);

  let x = tf.mul(embed(p(params, 'item_emb'), ids, [batch, len]), Math.sqrt(d));
  if (c.positions === 'from-start') {
    // per-row offsets: the first real item of each row gets position 0 (padding rows are masked below)
    const posIds = new Int32Array(batch * len);
    for (let b = 0; b < batch; b++) {
      const start = len - (lengths[b] as number);
      for (let i = start; i < len; i++) posIds[b * len + i] = i - start;
    }
    x = tf.add(x, embed(p(params, 'pos_emb'), posIds, [batch, len]));
  } else {
    x = tf.add(x, p(params, 'pos_emb').slice([c.maxLen - len, 0], [len, d]));
  }
  x = tf.mul(drop(x), timeline);

  let attnSum = null as Float32Array | null; // filled inside the attention closure
  for (let blk = 0; blk < c.blocks; blk++) {
    const pre = `block${blk}.`;
    const w = (name: string): tf.Variable => p(params, pre + name);
    const attention = (qIn: tf.Tensor, kvIn: tf.Tensor): tf.Tensor => {
      const att = causalAttention(
        dense(qIn, w('wq'), w('bq')),
        dense(kvIn, w('wk'), w('bk')),
        dense(kvIn, w('wv'), w('bv')),
        lengths,
        h,
        opts.wantAttention === true,
        attnDropout,
        c.relativeBias === true ? w('rel_bias') : undefined,
        attnWeights,
      );
      if (att.lastAttention) {
        if (!attnSum) attnSum = att.lastAttention;
        else for (let i = 0; i < attnSum.length; i++) attnSum[i] = (attnSum[i] as number) + (att.lastAttention[i] as number);
      }
      return dense(att.out, w('wo'), w('bo'));
    };
    if (c.block === 'ligr') {
      const gate = (name: string): tf.Tensor => tf.sigmoid(dense(x, w(`${name}.w`), w(`${name}.b`)));
      const normed = layerNorm(x, w('ln1.gamma'), w('ln1.beta'));
      x = tf.add(x, tf.mul(gate('gate1'), drop(attention(normed, normed), attnOutRate)));
      const ffIn = layerNorm(x, w('ln2.gamma'), w('ln2.beta'));
      const a = dense(ffIn, w('w1'), null);
      const ff = dense(drop(tf.mul(tf.mul(a, tf.sigmoid(a)), dense(ffIn, w('w3'), null))), w('w2'), null);
      x = tf.mul(tf.add(x, tf.mul(gate('gate2'), drop(ff))), timeline);
    } else {
      const qIn = layerNorm(x, w('ln1.gamma'), w('ln1.beta'));
      x = tf.add(qIn, drop(attention(qIn, x), attnOutRate));
      x = layerNorm(x, w('ln2.gamma'), w('ln2.beta'));
      const ff = dense(drop(tf.relu(dense(x, w('w1'), w('b1')))), w('w2'), w('b2'));
      x = tf.mul(tf.add(x, drop(ff)), timeline);
    }
  }
  const hidden = layerNorm(x, p(params, 'ln_final.gamma'), p(params, 'ln_final.beta')) as tf.Tensor3D;
  const result: ForwardResult = { hidden };
  if (attnSum) result.lastAttention = attnSum.map((a) => a / c.blocks);
  return result;
}
