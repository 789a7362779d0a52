/** What the bench page puts on `window.bench` for the Node runner (leaf module). */
import type { BackendName, Info } from '../../common/types';

export interface SessionOptions {
  backends: BackendName[];
  dbName: string;
  /** Synthetic catalog size: items `i1` … `iN`. */
  items: number;
  /** URL of a sequence model manifest; popularity-only when absent. */
  sequenceModel?: string;
  /** History length tracked for the user (once per database). */
  historyLength: number;
}

export interface SessionReady {
  backend: BackendName;
  /** Time to store the catalog, 0 when it was already stored. */
  catalogMs: number;
}

export interface StartupSample {
  backend: BackendName;
  /** createRecommender() → first recommend() result. */
  totalMs: number;
  createMs: number;
  /** Backend set-up + self-test (tfjs init, first shader compiles) inside createRecommender(). */
  backendMs: number;
  modelLoadMs: number;
  firstRecommendMs: number;
  /** A second call right after: the first call minus this is the warm-up (shader compile, first uploads). */
  secondRecommendMs: number;
}

export interface EncodeSample {
  backend: BackendName;
  count: number;
  /** upsertItems() with the encoder configured. */
  encodeMs: number;
  /** The same number of items upserted without any model (storage only), same run. */
  storeOnlyMs: number;
  encoded: number;
}

export interface IndexedDbSample {
  batchedMs: number[];
  perEventMs: number[];
  historyReadMs: number[];
  exportMs: number[];
  importMs: number[];
  events: number;
}

export interface BenchApi {
  /** Prepares catalog + history in the database (no models), so a later session only loads. */
  seed(options: SessionOptions): Promise<SessionReady>;
  open(options: SessionOptions): Promise<SessionReady>;
  /** Times `calls` recommend({ k: 10 }) calls on the open session. */
  recommendTimes(calls: number): Promise<number[]>;
  info(): Promise<Info>;
  close(): Promise<void>;
  startup(options: SessionOptions): Promise<StartupSample>;
  encodeText(options: { backends: BackendName[]; dbName: string; count: number; model: string }): Promise<EncodeSample>;
  encodeImages(options: { backends: BackendName[]; dbName: string; count: number; model: string }): Promise<EncodeSample>;
  indexedDb(options: {
    backends: BackendName[];
    dbName: string;
    events: number;
    perEventReps: number;
    reps: number;
  }): Promise<IndexedDbSample>;
}
