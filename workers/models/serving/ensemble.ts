/**
 * Serving an ensemble of sequence models in the worker: every member scores
 * the history on the current backend, the scores combine as the mean of the
 * members' log-softmax (plus the weighted log-probability of the ensemble's
 * transition table, computed in JS), the reasons as the mean of their contributions;
 * fine-tuning minimises the mean of the members' losses (each member is tuned
 * on its own loss, as if adapted alone).
 */
import * as tf from '@tensorflow/tfjs';
import type { ModelManifest } from '../../../common/model-format/manifest';
import {
  combineMemberScores,
  concatMemberWeights,
  type EnsembleConfig,
  type EnsembleTransitions,
  importMemberWeights,
} from '../../../common/model-format/ensemble';
import { checkHistory, type SequenceScores, type SequenceServer } from './server';

export class EnsembleServer implements SequenceServer {
  readonly maxLen: number;
  private disposed = false;

  constructor(
    readonly manifest: ModelManifest,
    readonly config: EnsembleConfig,
    readonly itemIds: readonly string[],
    private readonly members: readonly SequenceServer[],
    private readonly transitions?: EnsembleTransitions,
  ) {
    this.maxLen = Math.max(...members.map((m) => m.maxLen));
  }

  isDisposed(): boolean {
    return this.disposed;
  }

  async score(history: Int32Array): Promise<SequenceScores> {
    checkHistory(this, history);
    const n = this.config.numItems;
    if (history.length === 0) return { scores: new Float32Array(n + 1), contributions: new Float32Array(0) };
    const parts = await Promise.all(this.members.map((m) => m.score(history)));
    return combineMemberScores(parts, history, n, this.transitions);
  }

  nextItemLoss(history: Int32Array): tf.Scalar {
    return tf.tidy(() => tf.div(tf.addN(this.members.map((m) => m.nextItemLoss(history))), this.members.length) as tf.Scalar);
  }

  variables(): tf.Variable[] {
    return this.members.flatMap((m) => m.variables());
  }

  async exportWeights(): Promise<Uint8Array> {
    return concatMemberWeights(await Promise.all(this.members.map((m) => m.exportWeights())));
  }

  importWeights(bytes: ArrayBuffer): void {
    importMemberWeights(this.config, bytes, this.members);
  }

  resetWeights(): void {
    for (const m of this.members) m.resetWeights();
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    for (const m of this.members) m.dispose();
  }
}
