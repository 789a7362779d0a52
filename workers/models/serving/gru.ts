/**
 * GRU4Rec-style model served in the worker: the training forward
 * (./sequence/gru.ts, plain tfjs ops) with async read-back. Its "reasons"
 * weight each input by softmax(final state · input embedding).
 */
import * as tf from '@tensorflow/tfjs';
import type { ModelManifest } from '../../../common/model-format/manifest';
import type { SequenceModelConfig } from '../../../common/model-format/sequence';
import { gruForward, gruParamShapes } from '../sequence/gru';
import { checkHistory, SequenceServerBase, type SequenceScores } from './server';

export class GruServer extends SequenceServerBase {
  constructor(manifest: ModelManifest, config: SequenceModelConfig, itemIds: readonly string[], weightsBytes: ArrayBuffer) {
    super(manifest, config, itemIds, weightsBytes, gruParamShapes(config));
  }

  hiddenStates(ids: Int32Array): tf.Tensor2D {
    const { hidden } = gruForward(this.weights, this.config, ids, 1, ids.length, { training: false });
    return tf.reshape(hidden, [ids.length, this.config.dim]);
  }

  async score(history: Int32Array): Promise<SequenceScores> {
    const ids = checkHistory(this, history).subarray(Math.max(0, history.length - this.maxLen));
    if (ids.length === 0) return { scores: new Float32Array(this.config.numItems + 1), contributions: new Float32Array(0) };
    const [scoresT, weightsT] = tf.tidy(() => {
      const table = this.w('item_emb');
      const last = tf.slice(this.hiddenStates(ids), [ids.length - 1, 0], [1, this.config.dim]);
      const inputs = tf.gather(table, tf.tensor1d(ids, 'int32'));
      return [tf.reshape(tf.matMul(last, table, false, true), [-1]), tf.softmax(tf.reshape(tf.matMul(inputs, last, false, true), [-1]))];
    });
    try {
      const [scores, contributions] = await Promise.all([scoresT.data(), weightsT.data()]);
      return { scores: scores as Float32Array, contributions: contributions as Float32Array };
    } finally {
      scoresT.dispose();
      weightsT.dispose();
    }
  }
}
