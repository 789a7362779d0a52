/**
 * What the worker needs from a trained sequence model (SASRec or GRU): async
 * scoring on any backend, a differentiable forward for on-device fine-tuning
 * (plain tfjs ops, so gradients exist on webgpu, webgl and cpu), and weights
 * that can be swapped, exported and reset.
 */
import * as tf from '@tensorflow/tfjs';
import { TastebudError } from '../../../common/errors';
import type { ModelManifest } from '../../../common/model-format/manifest';
import { encodeWeights, type SequenceModelConfig } from '../../../common/model-format/sequence';
import type { EnsembleConfig } from '../../../common/model-format/ensemble';
import { assignWeights, weightVariables } from '../sequence/weights';

export interface SequenceScores {
  /** numItems + 1 logits; index 0 is padding. */
  scores: Float32Array;
  /** Weight of each input used (the last position's attention for SASRec), summing to 1. */
  contributions: Float32Array;
}

export interface SequenceServer {
  readonly manifest: ModelManifest;
  /** A single model's config, or an ensemble's (its members' configs inside). */
  readonly config: SequenceModelConfig | EnsembleConfig;
  readonly itemIds: readonly string[];
  readonly maxLen: number;
  /** `history`: model item indices (1..numItems), oldest first; the last maxLen are used. */
  score(history: Int32Array): Promise<SequenceScores>;
  /** The fine-tuning objective on one history (call inside a tidy / gradient scope); see nextItemLoss(). */
  nextItemLoss(history: Int32Array): tf.Scalar;
  /** The trainable weights, for fine-tuning. */
  variables(): tf.Variable[];
  /** Current weights in the weights.bin layout (read back asynchronously: no GPU stall). */
  exportWeights(): Promise<Uint8Array>;
  /** Replaces the weights (exportWeights() output or the shipped weights.bin). */
  importWeights(bytes: ArrayBuffer): void;
  /** Back to the weights the model was loaded with. */
  resetWeights(): void;
  dispose(): void;
}

export function checkHistory(server: { config: { numItems: number }; isDisposed(): boolean }, history: Int32Array): Int32Array {
  if (server.isDisposed()) throw new TastebudError('disposed', 'The sequence model was disposed.');
  const n = server.config.numItems;
  for (let i = 0; i < history.length; i++) {
    const v = history[i]!;
    if (!(v >= 1 && v <= n))
      throw new TastebudError('invalid-argument', `history[${i}] = ${v} is not a model item index (1..${n})`, { field: `history[${i}]` });
  }
  return history;
}

/** Weights held as tf.Variables, so serving and fine-tuning share one copy. */
export abstract class SequenceServerBase implements SequenceServer {
  readonly maxLen: number;
  protected readonly weights: Map<string, tf.Variable>;
  private readonly initial: ArrayBuffer;
  private disposed = false;

  constructor(
    readonly manifest: ModelManifest,
    readonly config: SequenceModelConfig,
    readonly itemIds: readonly string[],
    weightsBytes: ArrayBuffer,
    shapes: Array<[string, number[]]>,
  ) {
    this.maxLen = config.maxLen;
    this.initial = weightsBytes.slice(0);
    this.weights = weightVariables(config.weights.specs, weightsBytes, shapes);
  }

  abstract score(history: Int32Array): Promise<SequenceScores>;
  /** [L, dim] hidden state after each input position (call inside a tidy / gradient scope). */
  abstract hiddenStates(ids: Int32Array): tf.Tensor2D;

  nextItemLoss(history: Int32Array): tf.Scalar {
    return nextItemLoss(this, history);
  }

  isDisposed(): boolean {
    return this.disposed;
  }

  protected w(name: string): tf.Variable {
    const t = this.weights.get(name);
    if (!t) throw new TastebudError('internal', `missing weight ${name}`);
    return t;
  }

  /** Whoever takes the variables may change them: anything computed from the old weights goes. */
  variables(): tf.Variable[] {
    this.forgetPrefix();
    return [...this.weights.values()];
  }

  /** Drops what score() keeps from one call to the next (none here; SASRec keeps a history's keys and values). */
  protected forgetPrefix(): void {}

  async exportWeights(): Promise<Uint8Array> {
    const tensors = await Promise.all(
      this.config.weights.specs.map(async (s) => ({ name: s.name, shape: s.shape, data: (await this.w(s.name).data()) as Float32Array })),
    );
    return encodeWeights(tensors).bytes;
  }

  importWeights(bytes: ArrayBuffer): void {
    this.forgetPrefix();
    assignWeights(this.weights, this.config.weights.specs, bytes);
  }

  resetWeights(): void {
    this.importWeights(this.initial);
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.forgetPrefix();
    for (const t of this.weights.values()) t.dispose();
    this.weights.clear();
  }
}

/**
 * Mean next-item cross-entropy over a history (full softmax over the catalog,
 * padding column excluded): input positions history[0..n-2] predict
 * history[1..n-1]. The fine-tuning objective, same as training.
 */
export function nextItemLoss(server: SequenceServerBase, history: Int32Array): tf.Scalar {
  const n = Math.min(history.length - 1, server.maxLen);
  const ids = history.slice(history.length - 1 - n, history.length - 1);
  const targets = history.slice(history.length - n);
  const table = server.variables()[0]!; // item_emb is first in both architectures
  const hidden = server.hiddenStates(ids);
  const items = tf.slice(table, [1, 0], [server.config.numItems, server.config.dim]);
  const logits = tf.matMul(hidden, items, false, true);
  const targetLogits = tf.sum(tf.mul(hidden, tf.gather(table, tf.tensor1d(targets, 'int32'))), 1);
  return tf.mean(tf.sub(tf.logSumExp(logits, 1), targetLogits));
}
