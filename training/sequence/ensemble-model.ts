/**
 * An ensemble of trained sequence models behind the SequenceModel interface
 * (Node CLI and tests): scores are the members' mean log-softmax (plus the
 * weighted log-probability of its transition table, if any), fine-tuning
 * tunes every member on the same history.
 */
import type { ModelManifest } from '../../common/model-format/manifest';
import {
  combineMemberScores,
  concatMemberWeights,
  type EnsembleConfig,
  ensembleScores,
  type EnsembleTransitions,
  importMemberWeights,
} from '../../common/model-format/ensemble';
import type { SequenceModel } from './sequence-model';

export class EnsembleModel implements SequenceModel {
  readonly maxLen: number;

  constructor(
    readonly manifest: ModelManifest,
    readonly config: EnsembleConfig,
    readonly itemIds: readonly string[],
    private readonly members: readonly SequenceModel[],
    private readonly transitions?: EnsembleTransitions,
  ) {
    this.maxLen = Math.max(...members.map((m) => m.maxLen));
  }

  get numItems(): number {
    return this.config.numItems;
  }

  score(history: Int32Array): { scores: Float32Array; contributions: Float32Array } {
    const parts = this.members.map((m) => m.score(history));
    if (history.length === 0) return { scores: new Float32Array(this.numItems + 1), contributions: new Float32Array(0) };
    return combineMemberScores(parts, history, this.numItems, this.transitions);
  }

  scoreBatch(histories: readonly Int32Array[]): Float32Array {
    return ensembleScores(
      this.members.map((m) => m.scoreBatch(histories)),
      histories,
      this.numItems,
      this.transitions,
    );
  }

  exportWeights(): Uint8Array {
    return concatMemberWeights(this.members.map((m) => m.exportWeights()));
  }

  importWeights(bytes: ArrayBuffer): void {
    importMemberWeights(this.config, bytes, this.members);
  }

  reset(): void {
    for (const m of this.members) m.reset();
  }

  dispose(): void {
    for (const m of this.members) m.dispose();
  }
}
