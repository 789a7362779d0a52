/**
 * Data-parallel training steps: a batch is split into row shards, each shard's
 * loss gradient is computed on its own thread from the same weights, and the
 * gradients are averaged weighted by each shard's number of targets — exactly
 * the full-batch gradient, since the loss is a mean over targets. The threads
 * themselves (Node worker_threads in the CLI) sit behind `GradientPeer`.
 */
import type { Batch } from './batch';

/** Loss and gradients of one shard, gradients in parameter order. */
export interface ShardGradients {
  loss: number;
  /** Number of (non-padding) targets the loss is averaged over. */
  targets: number;
  grads: Float32Array[];
}

/** Something that computes a shard's gradients elsewhere (another thread). */
export interface GradientPeer {
  gradients(weights: readonly Float32Array[], shard: Batch): Promise<ShardGradients>;
  dispose(): Promise<void>;
}

export function countTargets(b: Batch): number {
  let n = 0;
  for (let i = 0; i < b.targets.length; i++) if ((b.targets[i] as number) !== 0) n++;
  return n;
}

/**
 * Splits a batch row-wise into at most `shards` parts of near-equal size. Each
 * part drops the leading columns that are padding in all its rows: positions
 * are counted from the end of the window, so this does not change outputs.
 */
export function shardBatch(b: Batch, shards: number): Batch[] {
  const parts = Math.max(1, Math.min(shards, b.batch));
  const out: Batch[] = [];
  let row = 0;
  for (let s = 0; s < parts; s++) {
    const rows = Math.floor(b.batch / parts) + (s < b.batch % parts ? 1 : 0);
    let len = 0;
    for (let r = row; r < row + rows; r++) {
      for (let i = 0; i < b.len; i++) {
        if ((b.ids[r * b.len + i] as number) !== 0 || (b.targets[r * b.len + i] as number) !== 0) {
          len = Math.max(len, b.len - i);
          break;
        }
      }
    }
    len = Math.max(1, len);
    const ids = new Int32Array(rows * len);
    const targets = new Int32Array(rows * len);
    const k = b.later ? b.later.weights.length : 0;
    const later = new Int32Array(rows * len * k);
    for (let r = 0; r < rows; r++) {
      const from = (row + r) * b.len + (b.len - len);
      ids.set(b.ids.subarray(from, from + len), r * len);
      targets.set(b.targets.subarray(from, from + len), r * len);
      if (b.later) later.set(b.later.ids.subarray(from * k, (from + len) * k), r * len * k);
    }
    out.push({
      ids,
      targets,
      batch: rows,
      len,
      ...(b.later ? { later: { ids: later, weights: b.later.weights } } : {}),
      ...(b.labelSmoothing ? { labelSmoothing: b.labelSmoothing } : {}),
    });
    row += rows;
  }
  return out;
}

/** Target-weighted mean of shard losses and gradients (shards without targets are skipped). */
export function combineShards(parts: readonly ShardGradients[]): { loss: number; targets: number; grads: Float32Array[] } {
  const used = parts.filter((p) => p.targets > 0);
  const total = used.reduce((n, p) => n + p.targets, 0);
  const first = used[0];
  if (!first || total === 0) throw new Error('no shard has a training target');
  const grads = first.grads.map((g) => new Float32Array(g.length));
  let loss = 0;
  for (const p of used) {
    const w = p.targets / total;
    loss += w * p.loss;
    p.grads.forEach((g, k) => {
      const acc = grads[k] as Float32Array;
      if (g.length !== acc.length) throw new Error(`gradient ${k} has ${g.length} values, expected ${acc.length}`);
      for (let i = 0; i < g.length; i++) acc[i] = (acc[i] as number) + w * (g[i] as number);
    });
  }
  return { loss, targets: total, grads };
}
