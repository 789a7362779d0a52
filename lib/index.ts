export { createRecommender } from './recommender';
export { TastebudError, isTastebudError, ERROR_CODES } from '../common/errors';
export type { TastebudErrorCode } from '../common/errors';
export { DEFAULTS } from '../common/defaults';
export { VERSION } from './version';
export { BACKENDS, EVENT_TYPES, IMPORT_MODES, MODEL_KINDS, PROGRESS_TASKS, REASON_SOURCES, STORAGE_MODES } from '../common/types';
export type {
  AdaptOptions,
  AdaptResult,
  BackendAttempt,
  BackendName,
  BackendSwitch,
  ColdStartOptions,
  CooccurrenceTable,
  EventType,
  ExportData,
  HistoryOptions,
  ImportMode,
  ImportOptions,
  ImportResult,
  Info,
  Item,
  JsonValue,
  ModelInfo,
  ModelInfoKind,
  ModelUrls,
  ProgressEvent,
  ProgressTask,
  Reason,
  ReasonSource,
  Recommendation,
  RecommendOptions,
  Recommender,
  RecommenderOptions,
  SearchOptions,
  SimilarOptions,
  StorageMode,
  StoredEvent,
  TrackEvent,
  UpsertOptions,
  UpsertResult,
  WasmInfo,
} from '../common/types';
