/**
 * Architecture dispatch for the sequence models (SASRec, GRU): parameter
 * shapes, initialisation and the forward pass. Browser-safe.
 */
import * as tf from '@tensorflow/tfjs';
import { gruForward, gruParamShapes } from './gru';
import { type ForwardOptions, type ForwardResult, type ParamMap, type SequenceArchConfig, sasrecForward, sasrecParamShapes } from './sasrec';

export type { ForwardOptions, ForwardResult, ParamMap, SequenceArchConfig } from './sasrec';

/** Parameter names and shapes, in serialisation order. */
export function paramShapes(c: SequenceArchConfig): Array<[string, number[]]> {
  return c.architecture === 'gru' ? gruParamShapes(c) : sasrecParamShapes(c);
}

export function forward(params: ParamMap, c: SequenceArchConfig, ids: Int32Array, batch: number, len: number, opts: ForwardOptions): ForwardResult {
  return c.architecture === 'gru' ? gruForward(params, c, ids, batch, len, opts) : sasrecForward(params, c, ids, batch, len, opts);
}

/**
 * How matrices and embeddings start: 'xavier' (uniform, ±√(6 / (fanIn + fanOut))) or
 * 'normal' (N(0, 0.02²), the GPT-2 / RecBole / SASRec+CE choice: much smaller block
 * weights, so every block starts close to its residual path).
 */
export type InitScheme = 'xavier' | 'normal';

/** Matrices and embeddings by `scheme` (padding row zero), zero biases, unit gammas. */
export function initParams(c: SequenceArchConfig, seed = 42, scheme: InitScheme = 'xavier'): ParamMap {
  const params: ParamMap = new Map();
  let s = seed;
  for (const [name, shape] of paramShapes(c)) {
    const init = tf.tidy(() => {
      if (name.endsWith('gamma')) return tf.ones(shape);
      if (shape.length === 1) return tf.zeros(shape);
      const limit = Math.sqrt(6 / ((shape[0] as number) + (shape[1] as number)));
      const t = scheme === 'normal' ? tf.randomNormal(shape, 0, 0.02, 'float32', s++) : tf.randomUniform(shape, -limit, limit, 'float32', s++);
      if (name !== 'item_emb') return t;
      return tf.concat([tf.zeros([1, c.dim]), t.slice([1, 0], [c.numItems, c.dim])], 0);
    });
    params.set(name, tf.variable(init, true));
    init.dispose();
  }
  return params;
}
