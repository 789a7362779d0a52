/**
 * Public types shared by the page and the worker. Leaf module: no imports of ours
 * except the error code union.
 */
import type { TastebudErrorCode } from './errors';

/** Every tfjs backend tastebud can run on. */
export const BACKENDS = Object.freeze(['webgpu', 'webgl', 'wasm', 'cpu'] as const);
export type BackendName = (typeof BACKENDS)[number];

export const STORAGE_MODES = Object.freeze(['indexeddb', 'memory'] as const);
export type StorageMode = (typeof STORAGE_MODES)[number];

export const EVENT_TYPES = Object.freeze(['view', 'click', 'like', 'dislike', 'rate', 'purchase', 'skip', 'review'] as const);
export type EventType = (typeof EVENT_TYPES)[number];

/** JSON-safe value: what `meta` may hold (it is stored and exported as JSON). */
export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };

export interface Item {
  /** Non-empty, at most 512 characters, no control characters. */
  id: string;
  /** Title, description, plot… used by the text model. */
  text?: string;
  /** Image URL or image Blob, used by the image model. */
  image?: string | Blob;
  /** Free tags (genres, categories) used by filters and the tag profile. */
  tags?: string[];
  /** JSON-safe data returned with the item; tastebud never interprets it. */
  meta?: Record<string, JsonValue>;
}

export interface TrackEvent {
  itemId: string;
  type: EventType;
  /** For `rate`: the rating, 1..5 by default. Optional weight for the others. */
  value?: number;
  /** For `review` (required, only there): the review's text; its sentiment, read on the device, counts like a rating. */
  text?: string;
  /** Milliseconds since the epoch, at most a day ahead of now; defaults to now. */
  at?: number;
  /**
   * Idempotency key, unique per event (e.g. a UUID). An event whose id is
   * already stored is skipped, so retrying a track() that timed out is safe.
   */
  id?: string;
}

/** An event as stored: always has a time and the user it belongs to. */
export interface StoredEvent {
  itemId: string;
  type: EventType;
  value?: number;
  /** A review's text. */
  text?: string;
  at: number;
  /** The event's idempotency key, when it was tracked with one. */
  id?: string;
}

export const REASON_SOURCES = Object.freeze([
  'sequence',
  'co-occurrence',
  'tags',
  'content-text',
  'content-image',
  'popular',
  'catalog',
] as const);
export type ReasonSource = (typeof REASON_SOURCES)[number];

export interface Reason {
  /** Which signal this reason comes from. */
  source: ReasonSource;
  /** Short, true UI text, e.g. `Because you liked Alien`. */
  text: string;
  /** History items that contributed most (ids), when the signal has them. */
  itemIds?: string[];
  /** Share of the final score this signal contributed, 0..1. */
  weight: number;
}

export interface Recommendation {
  itemId: string;
  score: number;
  /** Strongest first; the first one is the dominant signal. */
  reasons: Reason[];
}

export interface RecommendOptions {
  /** How many results, 1..1000. Default 10. */
  k?: number;
  /** Item ids never to return. */
  exclude?: string[];
  /** Only items with at least one of these tags. */
  tags?: string[];
  /** Never items with any of these tags. */
  excludeTags?: string[];
  /** Leave out items the user already interacted with. Default true. */
  excludeSeen?: boolean;
  /** 0 = pure relevance, 1 = maximal variety (MMR over content vectors, else tags). Default 0. */
  diversity?: number;
  /** 0..1: how much to lift long-tail items. 0 keeps the popularity signal as fitted; 1 turns it into a penalty. Default 0. */
  novelty?: number;
}

export interface UpsertOptions {
  /** Aborting stops content encoding between batches; the items stay stored and finish encoding on the next upsert or page load. */
  signal?: AbortSignal;
}

export interface UpsertResult {
  upserted: number;
  /** Item vectors computed by the text / image models in this call (cached ones are not recomputed). */
  encoded: number;
  /** Items whose content could not be encoded (e.g. an image that failed to load); they are still stored. */
  failed: Array<{ itemId: string; reason: string }>;
}

export interface SearchOptions {
  k?: number;
  exclude?: string[];
}

export interface ColdStartOptions {
  /** How many picks, 1..1000. Default 10. */
  k?: number;
  /** Item ids never to return (items the user already reacted to are left out anyway). */
  exclude?: string[];
}

export interface SimilarOptions {
  k?: number;
  exclude?: string[];
}

export interface HistoryOptions {
  /** At most this many events, newest first. Default 100, max 100000. */
  limit?: number;
  /** Only events strictly before this time (ms since epoch). */
  before?: number;
}

export interface ExportData {
  format: 'tastebud-export';
  version: 1;
  userId: string;
  exportedAt: number;
  events: StoredEvent[];
}

export const IMPORT_MODES = Object.freeze(['merge', 'replace'] as const);
export type ImportMode = (typeof IMPORT_MODES)[number];

export interface ImportOptions {
  /** `merge` adds the events (skipping exact duplicates); `replace` swaps the user's history. Default `merge`. */
  mode?: ImportMode;
}

export interface ImportResult {
  imported: number;
  skippedDuplicates: number;
}

export interface BackendAttempt {
  name: BackendName;
  ok: boolean;
  /** Why the backend was rejected or tried later (a software-emulated GPU is moved behind wasm). */
  reason?: string;
  /** Time taken by set-up plus the self-test. */
  ms: number;
  /** Time of the self-test alone, when it ran. */
  selfTestMs?: number;
}

/** How the wasm backend runs, in `info().wasm` while it is the backend in use. */
export interface WasmInfo {
  simd: boolean;
  /** Threads of its thread pool (1 = single-threaded). */
  threads: number;
  /** Why it runs on one thread, when it does (e.g. the page is not cross-origin isolated). */
  threadsOff?: string;
}

/** The engine moved to another backend at run time because the GPU under the first one was lost. */
export interface BackendSwitch {
  from: BackendName;
  to: BackendName;
  /** e.g. `WebGPU device lost (destroyed)` or `WebGL context lost`. */
  reason: string;
  /** When it happened, ms since the epoch. */
  at: number;
}

export const MODEL_KINDS = Object.freeze(['sequence', 'text', 'image', 'item-vectors', 'popularity', 'cooccurrence'] as const);
export type ModelInfoKind = (typeof MODEL_KINDS)[number];

export interface ModelInfo {
  kind: ModelInfoKind;
  name: string;
  version: string;
  status: 'ready' | 'error' | 'not-configured';
  /** With `status: 'error'`, or a warning while a cached copy serves: the TastebudError code of the failure. */
  errorCode?: TastebudErrorCode;
  bytes?: number;
  loadMs?: number;
  error?: string;
}

export interface Info {
  version: string;
  userId: string;
  dbName: string;
  backend: BackendName;
  backendsTried: BackendAttempt[];
  /** Set while the backend in use is `wasm`. */
  wasm?: WasmInfo;
  /** Run-time switches after a GPU loss, oldest first (empty while the first backend holds). */
  backendSwitches: BackendSwitch[];
  /** `indexeddb` (persistent) or `memory` (the caller opted in; gone when the page closes). */
  storageMode: StorageMode;
  models: ModelInfo[];
  counts: { items: number; events: number; userEvents: number; vectors: number; unknownHistoryItems: number; failedContentItems: number };
  storage: { usage?: number; quota?: number; persisted: boolean | 'unknown' };
  /** Live tfjs tensors and their bytes in the worker: must not grow over time. */
  memory: { tensors: number; bytes: number };
  workerRestarts: number;
}

export const PROGRESS_TASKS = Object.freeze(['backend', 'load-model', 'store-items', 'encode-text', 'encode-image', 'import'] as const);
export type ProgressTask = (typeof PROGRESS_TASKS)[number];

/** What every progress event has: `done` of `total` units of its task, and a short human-readable line. */
interface ProgressBase {
  done: number;
  total: number;
  message: string;
}

/**
 * Long work reports progress with one of these; switch on `task`.
 * - `backend`: a backend was chosen (`from` is set after a GPU loss moved the engine to `backend`).
 * - `load-model`: `done` of `total` bytes of the `model` kind's files, from `url`.
 * - `store-items`: items written by `upsertItems()`.
 * - `encode-text` / `encode-image`: item vectors computed by a content model.
 * - `import`: events written by `importData()`.
 */
export type ProgressEvent =
  | (ProgressBase & { task: 'backend'; backend: BackendName; from?: BackendName })
  | (ProgressBase & { task: 'load-model'; model: 'sequence' | 'text' | 'image' | 'item-vectors'; url: string })
  | (ProgressBase & { task: 'store-items' | 'encode-text' | 'encode-image' | 'import' });

export interface ModelUrls {
  /** URL of a sequence model's manifest.json (trained by the CLI). */
  sequence?: string;
  /** URL of a text model's manifest.json. */
  text?: string;
  /** URL of an image model's manifest.json. */
  image?: string;
  /**
   * URL of the manifest.json of item vectors computed ahead of time by `tastebud embed`:
   * a row is used while the item's content and the encoder's version match, and only
   * new or changed items are encoded in the browser.
   */
  itemVectors?: string;
  /** Popularity counts: URL of a JSON `{ "counts": { itemId: n } }`, or the counts themselves. */
  popularity?: string | Record<string, number>;
  /** Item-to-item co-occurrence: URL of JSON `{ "neighbors": { itemId: [[otherId, weight], …] } }`, or the object. */
  cooccurrence?: string | CooccurrenceTable;
}

export interface CooccurrenceTable {
  neighbors: Record<string, Array<[string, number]>>;
}

export interface RecommenderOptions {
  /** Profile on this origin; each userId's data is isolated. Default `default`. */
  userId?: string;
  /** IndexedDB database name. Default `tastebud`. */
  dbName?: string;
  /**
   * Backends to try in order; each must pass a self-test. Default `DEFAULTS.backends`:
   * `['webgpu', 'webgl', 'wasm', 'cpu']`, where a software-emulated GPU (SwiftShader,
   * llvmpipe) is tried after wasm. A list given here is tried exactly in its order.
   */
  backends?: BackendName[];
  /** Where the models are. Default: none (popularity, co-occurrence and tags only). */
  models?: ModelUrls;
  /**
   * `indexeddb` (default): history persists across visits; if IndexedDB cannot be
   * opened (some private modes) createRecommender() rejects with `storage-unavailable`.
   * `memory`: an explicit opt-in to keep everything in the worker's memory only,
   * lost when the page closes (and not shared between tabs).
   */
  storage?: StorageMode;
  /** Ask the browser to keep this origin's storage under pressure. Default false. */
  persist?: boolean;
  /** Per-call timeout in ms, after which the call rejects with code `timeout`. Default 30000. */
  timeoutMs?: number;
  /** Long work reports progress here. */
  onProgress?: (event: ProgressEvent) => void;
  /** Override the worker script URL (CDNs, strict CSP). Default: the bundled worker. */
  workerUrl?: string | URL;
}

export interface AdaptOptions {
  /** Stop after this much time (ms, 1..600000; at least one step is taken). Default 2000. */
  maxMs?: number;
  /** At most this many optimiser steps (1..1000). Default 5. */
  steps?: number;
  /** Adam learning rate (0 < lr ≤ 0.1). Default 1e-4. */
  lr?: number;
}

export interface AdaptResult {
  /** Optimiser steps taken (0 when the history is too short or there is no sequence model). */
  steps: number;
  ms: number;
  /** History items the model knows, used as training data (the last maxLen + 1). */
  historyItems: number;
  /** Next-item cross-entropy on the user's history before and after. */
  lossBefore: number | null;
  lossAfter: number | null;
  /** Whether adapted weights were stored (IndexedDB) for the next start. */
  stored: boolean;
  /** The model the weights belong to (`name@version:sha256`); empty without a sequence model. */
  model: string;
}

export interface Recommender {
  upsertItems(items: Item[], options?: UpsertOptions): Promise<UpsertResult>;
  removeItems(ids: string[]): Promise<{ removed: number }>;
  track(events: TrackEvent | TrackEvent[]): Promise<{ stored: number }>;
  recommend(options?: RecommendOptions): Promise<Recommendation[]>;
  similar(itemId: string, options?: SimilarOptions): Promise<Recommendation[]>;
  /** Free-text search over item text with the text model (needs `models.text`). */
  search(query: string, options?: SearchOptions): Promise<Recommendation[]>;
  history(options?: HistoryOptions): Promise<StoredEvent[]>;
  /**
   * Onboarding for a visitor without history: popular items that are unlike
   * each other (MMR over text vectors, else tags), so a few likes among them
   * tell tastes apart. Items the user already reacted to are left out.
   */
  coldStartPicks(options?: ColdStartOptions): Promise<Recommendation[]>;
  exportData(): Promise<ExportData>;
  importData(data: ExportData, options?: ImportOptions): Promise<ImportResult>;
  forget(): Promise<void>;
  /**
   * Fine-tunes the sequence model on this user's own history, in small steps
   * that do not block other calls; the adapted weights are stored for this
   * user and used until resetAdaptation() or forget().
   */
  adapt(options?: AdaptOptions): Promise<AdaptResult>;
  /** Back to the shipped sequence-model weights for this user. */
  resetAdaptation(): Promise<void>;
  info(): Promise<Info>;
  dispose(): Promise<void>;
}

/** Shape of a TastebudError after crossing the worker boundary (structured-clone safe). */
export interface SerializedError {
  isTastebudError: true;
  code: TastebudErrorCode;
  message: string;
  field?: string;
  stack?: string;
}
