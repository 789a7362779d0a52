/**
 * Architecture dispatch for the sequence models (SASRec, GRU): parameter
 * shapes, initialisation and the forward pass.
 */
import * as tf from '@tensorflow/tfjs';
import { gruForward, gruParamShapes } from '../../workers/models/sequence/gru';
import {
  type ForwardOptions,
  type ForwardResult,
  type ParamMap,
  type SequenceArchConfig,
  sasrecForward,
  sasrecParamShapes,
} from '../../workers/models/sequence/sasrec';

export type { ForwardOptions, ForwardResult, ParamMap, SequenceArchConfig } from '../../workers/models/sequence/sasrec';

/** Parameter names and shapes, in serialisation order. */
export function paramShapes(c: SequenceArchConfig): Array<[string, number[]]> {
  return c.architecture === 'gru' ? gruParamShapes(c) : sasrecParamShapes(c);
}

export function forward(
  params: ParamMap,
  c: SequenceArchConfig,
  ids: Int32Array,
  batch: number,
  len: number,
  opts: ForwardOptions,
): ForwardResult {
  return c.architecture === 'gru' ? gruForward(params, c, ids, batch, len, opts) : sasrecForward(params, c, ids, batch, len, opts);
}

/**
 * How matrices and embeddings start: 'xavier' (uniform, ±√(6 / (fanIn + fanOut))) or
 * 'normal' (N(0, 0.02²), the GPT-2 / RecBole / SASRec+CE choice: much smaller block
 * weights, so every block starts close to its residual path) or 'torch' (what PyTorch
 * SASRec ports built on nn.MultiheadAttention end up with: 'normal' everywhere except the
 * query / key / value projections, which keep torch's Xavier-uniform over the stacked
 * [3·dim, dim] in-projection, ±√(6 / (4·dim))).
 */
export type InitScheme = 'xavier' | 'normal' | 'torch';

const QKV_PROJECTION = /^block\d+\.w[qkv]$/;

/** Matrices and embeddings by `scheme` (padding row zero), zero biases (relative attention biases too), unit gammas. */
export function initParams(c: SequenceArchConfig, seed = 42, scheme: InitScheme = 'xavier'): ParamMap {
  const params: ParamMap = new Map();
  let s = seed;
  for (const [name, shape] of paramShapes(c)) {
    const init = tf.tidy(() => {
      if (name.endsWith('gamma')) return tf.ones(shape);
      if (shape.length === 1 || name.endsWith('rel_bias')) return tf.zeros(shape);
      const qkv = scheme === 'torch' && c.architecture === 'sasrec' && QKV_PROJECTION.test(name);
      const limit = Math.sqrt(6 / (qkv ? 4 * c.dim : (shape[0] as number) + (shape[1] as number)));
      const t =
        scheme === 'xavier' || qkv
          ? tf.randomUniform(shape, -limit, limit, 'float32', s++)
          : tf.randomNormal(shape, 0, 0.02, 'float32', s++);
      if (name !== 'item_emb') return t;
      return tf.concat([tf.zeros([1, c.dim]), t.slice([1, 0], [c.numItems, c.dim])], 0);
    });
    params.set(name, tf.variable(init, true));
    init.dispose();
  }
  return params;
}
