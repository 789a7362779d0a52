/** How many repetitions each measure gets, per backend and mode (emulated WebGPU gets fewer). */
import type { BackendName } from '../common/types';

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
      ? {
          warmup: 2,
          calls: 10,
          bigCalls: 5,
          memoryCalls: 20,
          coldStarts: 1,
          warmStarts: 2,
          textRuns: 1,
          textItems: 500,
          imageRuns: 1,
          images: 2,
        }
      : {
          warmup: 3,
          calls: 40,
          bigCalls: 15,
          memoryCalls: 100,
          coldStarts: 2,
          warmStarts: 3,
          textRuns: 2,
          textItems: 2000,
          imageRuns: 2,
          images: 4,
        };
  }
  // Sized so the whole run stays near 15-25 minutes on a contended 2-core VM; `--memory-calls 1000` for the long leak check.
  return emulatedGpu
    ? {
        warmup: 2,
        calls: 20,
        bigCalls: 5,
        memoryCalls: 40,
        coldStarts: 1,
        warmStarts: 2,
        textRuns: 1,
        textItems: 500,
        imageRuns: 1,
        images: 2,
      }
    : {
        warmup: 5,
        calls: 200,
        bigCalls: 30,
        memoryCalls: 300,
        coldStarts: 2,
        warmStarts: 3,
        textRuns: 5,
        textItems: 2000,
        imageRuns: 2,
        images: backend === 'cpu' ? 3 : 8,
      };
}

/** IndexedDB does not depend on the tfjs backend: measured once. */
export function indexedDbPlan(mode: Mode): { events: number; reps: number; perEventReps: number } {
  return mode === 'quick' ? { events: 10_000, reps: 2, perEventReps: 1 } : { events: 10_000, reps: 3, perEventReps: 1 };
}
