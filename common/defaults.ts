/**
 * Every default of the public API, written once: the options of
 * createRecommender() and the optional arguments of its methods. The page
 * and the worker read them from here; the README's tables quote them.
 */
import type { BackendName, ImportMode, StorageMode } from './types';

export const DEFAULTS = Object.freeze({
  /** createRecommender(): the profile on this origin. */
  userId: 'default',
  /** createRecommender(): the IndexedDB database name. */
  dbName: 'tastebud',
  storage: 'indexeddb' as StorageMode,
  /** Tried in this order (a software-emulated GPU after wasm); each must pass a self-test. */
  backends: Object.freeze(['webgpu', 'webgl', 'wasm', 'cpu'] as BackendName[]),
  persist: false,
  /** Per-call timeout. */
  timeoutMs: 30_000,
  /** recommend() / similar() / search(): number of results. */
  k: 10,
  /** recommend(): leave out items the user already interacted with. */
  excludeSeen: true,
  /** recommend(): 0 = pure relevance. */
  diversity: 0,
  /** recommend(): 0 keeps the popularity signal as fitted. */
  novelty: 0,
  /** history(): newest events returned. */
  historyLimit: 100,
  /** importData(). */
  importMode: 'merge' as ImportMode,
  /** adapt(), measured with `tastebud adapt-eval` on ML-1M (docs/experiments.md). */
  adapt: Object.freeze({ maxMs: 2000, steps: 5, lr: 1e-4 }),
});
