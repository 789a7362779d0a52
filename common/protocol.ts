/**
 * The worker's one façade, as seen from the page. Leaf module: types only.
 * Every argument has been validated on the page before it is sent.
 */
import type {
  AdaptOptions,
  AdaptResult,
  BackendName,
  ColdStartOptions,
  StorageMode,
  ExportData,
  HistoryOptions,
  ImportOptions,
  ImportResult,
  Info,
  Item,
  ModelUrls,
  ProgressEvent,
  Recommendation,
  RecommendOptions,
  SearchOptions,
  SimilarOptions,
  StoredEvent,
  TrackEvent,
  UpsertResult,
} from './types';

export interface EngineConfig {
  userId: string;
  dbName: string;
  storage: StorageMode;
  backends: BackendName[];
  /** The caller listed the backends: try them exactly in that order (no demotion of emulated GPUs). */
  backendsListed: boolean;
  models: ModelUrls;
  /** Library version, reported by info(). */
  version: string;
  /** The page's URL: relative item image URLs resolve against it. */
  baseUrl?: string;
  /** Name of a Web Lock the worker holds for its whole life, so the page notices when it dies. */
  lifeLockName?: string;
}

export interface InitResult {
  backend: BackendName;
}

export type ProgressCallback = (event: ProgressEvent) => void;

export interface EngineApi {
  init(config: EngineConfig, onProgress?: ProgressCallback): Promise<InitResult>;
  ping(): Promise<'pong'>;
  upsertItems(items: Item[]): Promise<UpsertResult>;
  /** Stops the running encoding job between batches; its upsertItems() rejects with `aborted`. */
  cancelEncoding(): Promise<void>;
  search(query: string, options: SearchOptions): Promise<Recommendation[]>;
  removeItems(ids: string[]): Promise<{ removed: number }>;
  track(events: TrackEvent[]): Promise<{ stored: number }>;
  recommend(options: RecommendOptions): Promise<Recommendation[]>;
  similar(itemId: string, options: SimilarOptions): Promise<Recommendation[]>;
  history(options: HistoryOptions): Promise<StoredEvent[]>;
  coldStartPicks(options: ColdStartOptions): Promise<Recommendation[]>;
  exportData(): Promise<ExportData>;
  importData(data: ExportData, options: ImportOptions): Promise<ImportResult>;
  forget(): Promise<void>;
  adapt(options: AdaptOptions): Promise<AdaptResult>;
  resetAdaptation(): Promise<void>;
  info(): Promise<Omit<Info, 'workerRestarts'>>;
  dispose(): Promise<void>;
}
