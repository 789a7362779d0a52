export { createRecommender } from './recommender';
export { TastebudError, isTastebudError } from './errors';
export type { TastebudErrorCode } from './errors';
export { DEFAULTS } from './options';
export { VERSION } from './version';
export type {
  BackendAttempt, BackendName, CooccurrenceTable, EventType, ExportData, HistoryOptions, ImportOptions, ImportResult, Info, Item,
  JsonValue, ModelInfo, ModelUrls, ProgressEvent, Reason, ReasonSource, Recommendation, RecommendOptions, Recommender,
  RecommenderOptions, SearchOptions, SimilarOptions, StoredEvent, TrackEvent, UpsertOptions, UpsertResult,
} from './types';
