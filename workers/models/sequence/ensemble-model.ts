/**
 * An ensemble of trained sequence models behind the SequenceModel interface
 * (Node CLI and tests): scores are the members' mean log-softmax, fine-tuning
 * tunes every member on the same history. Browser-safe: no Node imports.
 */
import type { ModelManifest } from '../manifest';
import { combineMemberScores, concatMemberWeights, type EnsembleConfig, importMemberWeights, meanLogSoftmax } from './ensemble';
import type { FineTuneOptions, SequenceModel } from './index';

export class EnsembleModel implements SequenceModel {
  readonly maxLen: number;

  constructor(readonly manifest: ModelManifest, readonly config: EnsembleConfig, readonly itemIds: readonly string[], private readonly members: readonly SequenceModel[]) {
    this.maxLen = Math.max(...members.map((m) => m.maxLen));
  }

  get numItems(): number {
    return this.config.numItems;
  }

  score(history: Int32Array): { scores: Float32Array; contributions: Float32Array } {
    const parts = this.members.map((m) => m.score(history));
    if (history.length === 0) return { scores: new Float32Array(this.numItems + 1), contributions: new Float32Array(0) };
    return combineMemberScores(parts, this.numItems);
  }

  scoreBatch(histories: readonly Int32Array[]): Float32Array {
    const width = this.numItems + 1;
    const out = meanLogSoftmax(this.members.map((m) => m.scoreBatch(histories)), histories.length, width);
    histories.forEach((h, b) => { if (h.length === 0) out.fill(0, b * width, (b + 1) * width); });
    return out;
  }

  fineTune(history: Int32Array, options?: FineTuneOptions): number {
    return this.members.reduce((sum, m) => sum + m.fineTune(history, options), 0) / this.members.length;
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
