/** How many repetitions each measure gets, per backend and mode (emulated WebGPU gets fewer). */
import type { BackendName } from '../lib/types';

export type Mode = 'full' | 'quick';

export interface Plan {
  warmup: number;
  /** Timed recommend() calls on the ML-1M-sized catalog (SASRec and popularity-only each). */
  calls: number;
  /** Timed calls on the 100k catalog. */
  bigCalls: number;
  /** Total calls before the memory check (the timed ones count). */
  memoryCalls: number;
  coldStarts: number;
  warmStarts: number;
  /** Text encoding: runs × items per run. */
  textRuns: number;
  textItems: number;
  imageRuns: number;
  images: number;
}

export function planFor(backend: BackendName, mode: Mode): Plan {
  const emulatedGpu = backend === 'webgpu';
  if (mode === 'quick') {
    return emulatedGpu
      ? { warmup: 2, calls: 10, bigCalls: 5, memoryCalls: 20, coldStarts: 1, warmStarts: 2, textRuns: 1, textItems: 500, imageRuns: 1, images: 2 }
      : { warmup: 3, calls: 40, bigCalls: 15, memoryCalls: 100, coldStarts: 2, warmStarts: 3, textRuns: 2, textItems: 2000, imageRuns: 2, images: 4 };
  }
  return emulatedGpu
    ? { warmup: 3, calls: 30, bigCalls: 10, memoryCalls: 100, coldStarts: 2, warmStarts: 3, textRuns: 2, textItems: 1000, imageRuns: 2, images: 4 }
    : { warmup: 5, calls: 200, bigCalls: 60, memoryCalls: 1000, coldStarts: 3, warmStarts: 5, textRuns: 3, textItems: 10_000, imageRuns: 3, images: backend === 'cpu' ? 6 : 16 };
}

/** IndexedDB does not depend on the tfjs backend: measured once. */
export function indexedDbPlan(mode: Mode): { events: number; reps: number; perEventReps: number } {
  return mode === 'quick' ? { events: 10_000, reps: 3, perEventReps: 1 } : { events: 10_000, reps: 5, perEventReps: 2 };
}
