/**
 * Weight snapshots and an exponential moving average of the weights
 * (Polyak averaging) kept beside training: validation and the saved model
 * can use the average, which moves less from step to step than the live
 * weights once the loss has stopped improving on held-out data.
 */
import * as tf from '@tensorflow/tfjs';
import type { ParamMap } from './model';

export type WeightSnapshot = Map<string, Float32Array>;

/** A copy of every parameter's values. */
export function snapshot(params: ParamMap): WeightSnapshot {
  const out: WeightSnapshot = new Map();
  for (const [k, v] of params) out.set(k, (v.dataSync() as Float32Array).slice());
  return out;
}

/** Writes a snapshot back into the parameters it was taken from. */
export function restore(params: ParamMap, snap: WeightSnapshot): void {
  for (const [k, v] of params) {
    const data = snap.get(k);
    if (data) tf.tidy(() => v.assign(tf.tensor(data, v.shape)));
  }
}

/**
 * Decay used at update `step` (0-based): `min(decay, (1 + step) / (10 + step))`,
 * so the first updates follow the fast-moving early weights instead of
 * dragging the random initialisation along (TensorFlow's
 * ExponentialMovingAverage with num_updates).
 */
export function averageDecayAt(decay: number, step: number): number {
  return Math.min(decay, (1 + step) / (10 + step));
}

export class WeightAverage {
  private updates = 0;
  readonly average: WeightSnapshot;

  /** Starts the average at the current weights. */
  constructor(
    params: ParamMap,
    readonly decay: number,
  ) {
    this.average = snapshot(params);
  }

  /** Folds the current weights in: avg = d·avg + (1 − d)·w. */
  update(params: ParamMap): void {
    const d = averageDecayAt(this.decay, this.updates++);
    for (const [k, v] of params) {
      const avg = this.average.get(k) as Float32Array;
      const w = v.dataSync() as Float32Array;
      for (let i = 0; i < avg.length; i++) avg[i] = d * (avg[i] as number) + (1 - d) * (w[i] as number);
    }
  }

  /** A copy of the current average. */
  copy(): WeightSnapshot {
    return new Map([...this.average].map(([k, v]) => [k, v.slice()]));
  }

  /**
   * Runs `fn` with the averaged weights in `params`, then puts the live
   * weights back (also when `fn` throws).
   */
  async withAverage<T>(params: ParamMap, fn: () => T | Promise<T>): Promise<T> {
    const live = snapshot(params);
    restore(params, this.average);
    try {
      return await fn();
    } finally {
      restore(params, live);
    }
  }
}
