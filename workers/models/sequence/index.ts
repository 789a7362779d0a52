/**
 * Browser entry point for trained sequence models (SASRec): load a model
 * directory's files (already sha256-verified against the manifest), score
 * histories, fine-tune on one user's history. No Node imports.
 */
import * as tf from '@tensorflow/tfjs';
import { TastebudError } from '../../../lib/errors';
import type { ModelManifest } from '../manifest';
import { encodeWeights, parseSequenceConfig, parseVocabulary, type SequenceModelConfig } from './artifacts';
import { ENSEMBLE_NAME, type EnsembleConfig, parseEnsembleConfig } from './ensemble';
import { EnsembleModel } from './ensemble-model';
import { decodeTransitions } from './transitions';
import { scoreHistories } from './infer';
import { type ParamMap, paramShapes } from './model';
import { batchLoss, rng } from './train';
import { assignWeights, weightVariables } from './weights';

export type { SequenceModelConfig, WeightSpec } from './artifacts';

export interface FineTuneOptions {
  /** Optimiser steps on the history (default 5). */
  steps?: number;
  /** Adam learning rate (default 1e-4). */
  lr?: number;
  seed?: number;
}

export interface SequenceModel {
  readonly manifest: ModelManifest;
  /** Vocabulary: itemIds[i] is model item i + 1 (0 = padding). */
  readonly itemIds: readonly string[];
  readonly maxLen: number;
  readonly numItems: number;
  /** A single model's config, or an ensemble's (its members' configs inside). */
  readonly config: SequenceModelConfig | EnsembleConfig;
  /**
   * history: model item indices (1-based), oldest first, any length (only
   * the last maxLen are used). Returns `scores` (length numItems + 1, index
   * 0 = padding, ignore it) and `contributions`: one non-negative weight per
   * position actually used (contributions[i] belongs to
   * history[history.length - contributions.length + i]); the attention of the
   * last position averaged over heads and blocks, summing to 1 (GRU:
   * softmax of final state · item embedding over the inputs). An empty
   * history gives all-zero scores and no contributions.
   */
  score(history: Int32Array): { scores: Float32Array; contributions: Float32Array };
  /** Scores of many histories at once (no contributions): B × (numItems + 1), row-major, column 0 = padding. */
  scoreBatch(histories: readonly Int32Array[]): Float32Array;
  /** A few optimiser steps of next-item training on this history (in place). Returns the mean loss. */
  fineTune(history: Int32Array, options?: FineTuneOptions): number;
  /** Current weights in the `weights.bin` layout (for IndexedDB). */
  exportWeights(): Uint8Array;
  /** Replaces the weights with ones from `exportWeights()` (or the shipped weights.bin). */
  importWeights(bytes: ArrayBuffer): void;
  /** Restores the weights the model was loaded with. */
  reset(): void;
  dispose(): void;
}

function fileOf(files: Map<string, ArrayBuffer>, path: string): ArrayBuffer {
  const f = files.get(path);
  if (!f) throw new TastebudError('model-load', `model file ${path} is missing`, { field: path });
  return f;
}

class SasrecModel implements SequenceModel {
  readonly maxLen: number;
  readonly numItems: number;
  private readonly params: ParamMap;
  private readonly initial: ArrayBuffer;
  private disposed = false;

  constructor(readonly manifest: ModelManifest, readonly config: SequenceModelConfig, readonly itemIds: readonly string[], weights: ArrayBuffer) {
    this.maxLen = config.maxLen;
    this.numItems = config.numItems;
    this.initial = weights.slice(0);
    this.params = weightVariables(config.weights.specs, weights, paramShapes(config));
  }

  private check(history: Int32Array): void {
    if (this.disposed) throw new TastebudError('disposed', 'the sequence model was disposed');
    for (let i = 0; i < history.length; i++) {
      const v = history[i] as number;
      if (!(v >= 1 && v <= this.config.numItems)) throw new TastebudError('invalid-argument', `history[${i}] = ${v} is not a model item index (1..${this.config.numItems})`, { field: `history[${i}]` });
    }
  }

  score(history: Int32Array): { scores: Float32Array; contributions: Float32Array } {
    this.check(history);
    const used = Math.min(history.length, this.maxLen);
    const res = scoreHistories(this.params, this.config, [history], true);
    const contributions = new Float32Array(used);
    if (res.attention && used > 0) contributions.set(res.attention.subarray(res.len - used, res.len));
    return { scores: res.scores, contributions };
  }

  scoreBatch(histories: readonly Int32Array[]): Float32Array {
    histories.forEach((h) => this.check(h));
    return scoreHistories(this.params, this.config, histories).scores;
  }

  fineTune(history: Int32Array, options: FineTuneOptions = {}): number {
    this.check(history);
    if (history.length < 2) return NaN;
    const steps = options.steps ?? 5;
    const random = rng(options.seed ?? 1);
    const n = Math.min(history.length - 1, this.maxLen);
    const batch = { ids: history.slice(history.length - 1 - n, history.length - 1), targets: history.slice(history.length - n), batch: 1, len: n };
    const optimizer = tf.train.adam(options.lr ?? 1e-4, 0.9, 0.98);
    let total = 0;
    try {
      for (let s = 0; s < steps; s++) {
        const loss = optimizer.minimize(() => batchLoss(this.params, this.config, batch, 0, random), true, [...this.params.values()]);
        total += loss ? (loss.dataSync()[0] as number) : NaN;
        loss?.dispose();
      }
    } finally {
      optimizer.dispose();
    }
    return total / steps;
  }

  exportWeights(): Uint8Array {
    const tensors = this.config.weights.specs.map((s) => ({ name: s.name, shape: s.shape, data: (this.params.get(s.name) as tf.Variable).dataSync() as Float32Array }));
    return encodeWeights(tensors).bytes;
  }

  importWeights(bytes: ArrayBuffer): void {
    assignWeights(this.params, this.config.weights.specs, bytes);
  }

  reset(): void {
    this.importWeights(this.initial);
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    for (const v of this.params.values()) v.dispose();
    this.params.clear();
  }
}

/** `files` keyed by manifest path, already verified against the manifest's sha256. */
export async function loadSequenceModel(manifest: ModelManifest, files: Map<string, ArrayBuffer>): Promise<SequenceModel> {
  if (manifest.kind !== 'sequence') throw new TastebudError('model-load', `expected a sequence model, got ${manifest.kind}`, { field: 'kind' });
  let model: SequenceModel;
  if (manifest.name === ENSEMBLE_NAME) {
    const config = parseEnsembleConfig(manifest.config);
    const itemIds = parseVocabulary(fileOf(files, config.vocabulary), config.numItems);
    const members: SequenceModel[] = [];
    try {
      const t = config.transitions;
      const transitions = t ? { table: decodeTransitions(fileOf(files, t.path), config.numItems, t.pairs), config: t } : undefined;
      for (const c of config.members) members.push(new SasrecModel(manifest, c, itemIds, fileOf(files, c.weights.path)));
      model = new EnsembleModel(manifest, config, itemIds, members, transitions);
    } catch (err) {
      for (const m of members) m.dispose();
      throw err;
    }
  } else {
    if (manifest.name !== 'sasrec' && manifest.name !== 'gru') throw new TastebudError('model-load', `sequence model ${manifest.name} is not supported by this tastebud (sasrec, gru, ensemble)`, { field: 'name' });
    const config = parseSequenceConfig(manifest.config);
    if (config.architecture !== manifest.name) throw new TastebudError('model-load', `manifest name ${manifest.name} does not match config.architecture ${config.architecture}`, { field: 'name' });
    const itemIds = parseVocabulary(fileOf(files, config.vocabulary), config.numItems);
    model = new SasrecModel(manifest, config, itemIds, fileOf(files, config.weights.path));
  }
  await tf.ready();
  return model;
}
