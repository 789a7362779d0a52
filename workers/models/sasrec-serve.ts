/**
 * SASRec inference for serving in the worker: plain tfjs ops only (gather,
 * matMul, softmax), so it runs the same on webgpu, webgl, wasm and cpu, and
 * reads results back asynchronously (no GPU pipeline stall). Training code in
 * ./sequence/ uses JS kernels tuned for the Node wasm/cpu backends instead; the
 * two are checked against each other in test/sasrec-serve.test.ts.
 */
import * as tf from '@tensorflow/tfjs';
import { TastebudError } from '../../lib/errors';
import type { ModelManifest } from './manifest';
import { decodeWeights, parseSequenceConfig, parseVocabulary, type SequenceModelConfig } from './sequence/artifacts';
import { sasrecParamShapes } from './sequence/sasrec';

export interface SequenceScores {
  /** numItems + 1 logits; index 0 is padding. */
  scores: Float32Array;
  /** Attention of the last position over the inputs used, averaged over heads and blocks (sums to 1). */
  contributions: Float32Array;
}

const LN_EPS = 1e-8;

function layerNorm(x: tf.Tensor2D, gamma: tf.Tensor, beta: tf.Tensor): tf.Tensor2D {
  const { mean, variance } = tf.moments(x, -1, true);
  return tf.add(tf.mul(tf.mul(tf.sub(x, mean), tf.rsqrt(tf.add(variance, LN_EPS))), gamma), beta);
}

function dense(x: tf.Tensor2D, w: tf.Tensor, b: tf.Tensor): tf.Tensor2D {
  return tf.add(tf.matMul(x, w as tf.Tensor2D), b);
}

export class SasrecServer {
  readonly maxLen: number;
  private readonly weights = new Map<string, tf.Tensor>();
  private disposed = false;

  constructor(readonly manifest: ModelManifest, readonly config: SequenceModelConfig, readonly itemIds: readonly string[], weightsBytes: ArrayBuffer) {
    this.maxLen = config.maxLen;
    const decoded = decodeWeights(config.weights.specs, weightsBytes);
    for (const [name, shape] of sasrecParamShapes(config)) {
      const w = decoded.get(name);
      if (!w || w.shape.join(',') !== shape.join(',')) {
        this.dispose();
        throw new TastebudError('model-load', `Sequence model weight ${name} is missing or has the wrong shape; the model directory is inconsistent.`, { field: name });
      }
      this.weights.set(name, tf.tensor(w.data, shape));
    }
  }

  private w(name: string): tf.Tensor {
    const t = this.weights.get(name);
    if (!t) throw new TastebudError('internal', `missing weight ${name}`);
    return t;
  }

  /** `history`: model item indices (1..numItems), oldest first; the last maxLen are used. */
  async score(history: Int32Array): Promise<SequenceScores> {
    if (this.disposed) throw new TastebudError('disposed', 'The sequence model was disposed.');
    const n = this.config.numItems;
    for (let i = 0; i < history.length; i++) {
      const v = history[i]!;
      if (!(v >= 1 && v <= n)) throw new TastebudError('invalid-argument', `history[${i}] = ${v} is not a model item index (1..${n})`, { field: `history[${i}]` });
    }
    const ids = history.subarray(Math.max(0, history.length - this.maxLen));
    if (ids.length === 0) return { scores: new Float32Array(n + 1), contributions: new Float32Array(0) };
    const [scoresT, attentionT] = tf.tidy(() => this.forward(ids));
    try {
      const [scores, attention] = await Promise.all([scoresT.data(), attentionT.data()]);
      return { scores: scores as Float32Array, contributions: attention as Float32Array };
    } finally {
      scoresT.dispose();
      attentionT.dispose();
    }
  }

  private forward(ids: Int32Array): [tf.Tensor, tf.Tensor] {
    const { dim: d, heads: h, blocks, maxLen } = this.config;
    const L = ids.length;
    const dh = d / h;
    const itemEmb = this.w('item_emb') as tf.Tensor2D;
    let x = tf.mul(tf.gather(itemEmb, tf.tensor1d(ids, 'int32')), Math.sqrt(d)) as tf.Tensor2D;
    x = tf.add(x, tf.slice(this.w('pos_emb'), [maxLen - L, 0], [L, d]));
    // Additive causal mask: position i attends to j <= i only.
    const mask = tf.mul(tf.sub(1, tf.linalg.bandPart(tf.ones([L, L]), -1, 0)), -1e9);
    const scale = 1 / Math.sqrt(dh);
    let attentionSum = tf.zeros([L]);
    const heads = (t: tf.Tensor2D): tf.Tensor3D => tf.transpose(tf.reshape(t, [L, h, dh]), [1, 0, 2]);
    for (let b = 0; b < blocks; b++) {
      const pre = `block${b}.`;
      const qIn = layerNorm(x, this.w(`${pre}ln1.gamma`), this.w(`${pre}ln1.beta`));
      const q = heads(dense(qIn, this.w(`${pre}wq`), this.w(`${pre}bq`)));
      const k = heads(dense(x, this.w(`${pre}wk`), this.w(`${pre}bk`)));
      const v = heads(dense(x, this.w(`${pre}wv`), this.w(`${pre}bv`)));
      const probs = tf.softmax(tf.add(tf.mul(tf.matMul(q, k, false, true), scale), mask)) as tf.Tensor3D;
      attentionSum = tf.add(attentionSum, tf.mean(tf.slice(probs, [0, L - 1, 0], [h, 1, L]).reshape([h, L]), 0));
      const attended = tf.reshape(tf.transpose(tf.matMul(probs, v), [1, 0, 2]), [L, d]) as tf.Tensor2D;
      x = tf.add(qIn, dense(attended, this.w(`${pre}wo`), this.w(`${pre}bo`)));
      x = layerNorm(x, this.w(`${pre}ln2.gamma`), this.w(`${pre}ln2.beta`));
      const ff = dense(tf.relu(dense(x, this.w(`${pre}w1`), this.w(`${pre}b1`))), this.w(`${pre}w2`), this.w(`${pre}b2`));
      x = tf.add(x, ff);
    }
    const hidden = layerNorm(x, this.w('ln_final.gamma'), this.w('ln_final.beta'));
    const last = tf.slice(hidden, [L - 1, 0], [1, d]);
    const scores = tf.reshape(tf.matMul(last, itemEmb, false, true), [-1]);
    return [scores, tf.div(attentionSum, blocks)];
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    for (const t of this.weights.values()) t.dispose();
    this.weights.clear();
  }
}

/** `files` keyed by manifest path, already verified against the manifest's sha256. */
export async function loadSasrecServer(manifest: ModelManifest, files: Map<string, ArrayBuffer>): Promise<SasrecServer> {
  if (manifest.kind !== 'sequence') throw new TastebudError('model-load', `Expected a sequence model, got ${manifest.kind}.`, { field: 'kind' });
  if (manifest.name !== 'sasrec') throw new TastebudError('model-load', `Sequence model "${manifest.name}" is not supported by this tastebud (sasrec only).`, { field: 'name' });
  const config = parseSequenceConfig(manifest.config);
  const file = (path: string): ArrayBuffer => {
    const bytes = files.get(path);
    if (!bytes) throw new TastebudError('model-load', `Model file ${path} is missing.`, { field: path });
    return bytes;
  };
  const server = new SasrecServer(manifest, config, parseVocabulary(file(config.vocabulary), config.numItems), file(config.weights.path));
  await server.score(new Int32Array([1])); // warm-up: compiles kernels / shaders before the first real call
  return server;
}
