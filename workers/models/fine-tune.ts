/**
 * On-device fine-tuning: a few Adam steps of next-item training on one
 * user's history. The worker's adapt() and `tastebud adapt-eval` both run
 * fineTune(), so what adapt-eval measures is what a visitor's browser does.
 */
import * as tf from '@tensorflow/tfjs';
import { DEFAULTS } from '../../common/defaults';
import type { SequenceServer } from './serving/server';

export interface FineTuneOptions {
  /** At most this many optimiser steps. */
  steps?: number;
  /** Adam learning rate. */
  lr?: number;
  /** Stop starting new steps after this many ms (at least one step is always taken). */
  maxMs?: number;
  /** Called between steps; the worker yields there so queued calls can run. */
  betweenSteps?: () => Promise<void>;
}

export interface FineTuneRun {
  steps: number;
  /** The part of the history trained on: its last maxLen + 1 items. */
  input: Int32Array;
  /** Mean next-item cross-entropy on `input` before and after; null when the history is too short to train on. */
  lossBefore: number | null;
  lossAfter: number | null;
}

async function lossOf(server: SequenceServer, history: Int32Array): Promise<number> {
  const loss = tf.tidy(() => server.nextItemLoss(history));
  try {
    return (await loss.data())[0]!;
  } finally {
    loss.dispose();
  }
}

/** Fine-tunes `server`'s weights in place on `history` (model item indices, oldest first). */
export async function fineTune(server: SequenceServer, history: Int32Array, options: FineTuneOptions = {}): Promise<FineTuneRun> {
  const started = performance.now();
  const maxSteps = options.steps ?? DEFAULTS.adapt.steps;
  const maxMs = options.maxMs ?? Number.POSITIVE_INFINITY;
  const input = history.subarray(Math.max(0, history.length - server.maxLen - 1));
  if (input.length < 2) return { steps: 0, input, lossBefore: null, lossAfter: null };
  const lossBefore = await lossOf(server, input);
  // beta2 0.98 as in training (SASRec's recipe).
  const optimizer = tf.train.adam(options.lr ?? DEFAULTS.adapt.lr, 0.9, 0.98);
  let steps = 0;
  try {
    // At least one step, even when loading / compiling ate the time budget.
    while (steps < maxSteps && (steps === 0 || performance.now() - started < maxMs)) {
      const loss = optimizer.minimize(() => server.nextItemLoss(input), true, server.variables());
      await loss?.data(); // waits for the GPU
      loss?.dispose();
      steps += 1;
      await options.betweenSteps?.();
    }
  } finally {
    optimizer.dispose();
  }
  return { steps, input, lossBefore, lossAfter: await lossOf(server, input) };
}
