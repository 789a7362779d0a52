/** What a trained sequence model (one SASRec / GRU, or an ensemble) offers the CLI and tests. */
import type { ModelManifest } from '../../common/model-format/manifest';
import type { EnsembleConfig } from '../../common/model-format/ensemble';
import type { SequenceModelConfig } from '../../common/model-format/sequence';

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
  /** Current weights in the `weights.bin` layout (for IndexedDB). */
  exportWeights(): Uint8Array;
  /** Replaces the weights with ones from `exportWeights()` (or the shipped weights.bin). */
  importWeights(bytes: ArrayBuffer): void;
  /** Restores the weights the model was loaded with. */
  reset(): void;
  dispose(): void;
}
