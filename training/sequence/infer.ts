/**
 * Batched inference: scores of all items after each history (last position).
 */
import * as tf from '@tensorflow/tfjs';
import { forward, type ParamMap, type SequenceArchConfig as SasrecConfig } from './model';

export interface ScoreBatchResult {
  /** B × (numItems + 1) scores, row-major; column 0 is padding. */
  scores: Float32Array;
  /** B × len attention of the last position (left-padded rows), when asked. */
  attention?: Float32Array;
  len: number;
}

/** Histories: model item ids, oldest first (truncated to the last maxLen). Empty histories get all-zero scores. */
export function scoreHistories(
  params: ParamMap,
  config: SasrecConfig,
  histories: readonly Int32Array[],
  wantAttention = false,
): ScoreBatchResult {
  const B = histories.length;
  const V = config.numItems + 1;
  const len = Math.max(1, ...histories.map((h) => Math.min(h.length, config.maxLen)));
  const ids = new Int32Array(B * len);
  histories.forEach((h, b) => {
    const n = Math.min(h.length, config.maxLen);
    ids.set(h.subarray(h.length - n), b * len + (len - n));
  });
  const out = tf.tidy(() => {
    const { hidden, lastAttention } = forward(params, config, ids, B, len, { training: false, wantAttention });
    const last = hidden.slice([0, len - 1, 0], [B, 1, config.dim]).reshape([B, config.dim]);
    const table = params.get('item_emb') as tf.Variable;
    const scores = tf.matMul(last, tf.transpose(table));
    return { scores: scores.dataSync() as Float32Array, attention: lastAttention };
  });
  histories.forEach((h, b) => {
    if (h.length === 0) out.scores.fill(0, b * V, (b + 1) * V);
  });
  const res: ScoreBatchResult = { scores: out.scores, len };
  if (out.attention) res.attention = out.attention;
  return res;
}
