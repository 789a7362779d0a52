/** The options of createRecommender(): their checks, filled in from DEFAULTS. */
import { DEFAULTS } from '../common/defaults';
import { checkId, checkObject, invalid } from '../common/validate';
import { BACKENDS, type BackendName, type ModelUrls, type ProgressEvent, type RecommenderOptions, type StorageMode } from '../common/types';

export { DEFAULTS };

export interface ResolvedOptions {
  userId: string;
  dbName: string;
  storage: StorageMode;
  backends: BackendName[];
  backendsListed: boolean;
  models: ModelUrls;
  persist: boolean;
  timeoutMs: number;
  onProgress?: (event: ProgressEvent) => void;
  workerUrl?: string | URL;
}

const BACKEND_SET: ReadonlySet<string> = new Set(BACKENDS);

function checkModelUrl(value: unknown, field: string): string {
  if (typeof value !== 'string' || value.length === 0 || value.length > 8192) invalid(field, 'expected a URL string');
  return value;
}

function checkModels(value: unknown): ModelUrls {
  if (value === undefined) return {};
  const o = checkObject(value, 'options.models');
  const out: ModelUrls = {};
  for (const key of ['sequence', 'text', 'image', 'itemVectors'] as const) {
    if (o[key] !== undefined) out[key] = checkModelUrl(o[key], `options.models.${key}`);
  }
  if (o.popularity !== undefined) {
    if (typeof o.popularity === 'string') out.popularity = checkModelUrl(o.popularity, 'options.models.popularity');
    else {
      const counts = checkObject(o.popularity, 'options.models.popularity');
      const clean: Record<string, number> = {};
      for (const [id, n] of Object.entries(counts)) {
        checkId(id, `options.models.popularity[${JSON.stringify(id.slice(0, 40))}]`);
        if (typeof n !== 'number' || !Number.isFinite(n) || n < 0)
          invalid(`options.models.popularity.${id}`, 'counts must be finite numbers >= 0');
        clean[id] = n;
      }
      out.popularity = clean;
    }
  }
  if (o.cooccurrence !== undefined) {
    if (typeof o.cooccurrence === 'string') out.cooccurrence = checkModelUrl(o.cooccurrence, 'options.models.cooccurrence');
    else {
      const table = checkObject(o.cooccurrence, 'options.models.cooccurrence');
      checkObject(table.neighbors, 'options.models.cooccurrence.neighbors');
      // Deep checks happen in the worker, which parses URL-loaded tables the same way.
      out.cooccurrence = table as unknown as ModelUrls['cooccurrence'];
    }
  }
  return out;
}

export function resolveOptions(value: unknown): ResolvedOptions {
  const o = value === undefined ? {} : checkObject(value, 'options');
  const resolved: ResolvedOptions = {
    userId: o.userId === undefined ? DEFAULTS.userId : checkId(o.userId, 'options.userId'),
    dbName: o.dbName === undefined ? DEFAULTS.dbName : checkId(o.dbName, 'options.dbName'),
    storage: DEFAULTS.storage,
    backends: [...DEFAULTS.backends],
    backendsListed: o.backends !== undefined,
    models: checkModels(o.models),
    persist: false,
    timeoutMs: DEFAULTS.timeoutMs,
  };
  if (o.backends !== undefined) {
    if (!Array.isArray(o.backends) || o.backends.length === 0) invalid('options.backends', 'expected a non-empty array of backend names');
    resolved.backends = o.backends.map((b: unknown, i: number) => {
      if (typeof b !== 'string' || !BACKEND_SET.has(b)) invalid(`options.backends[${i}]`, `expected one of ${BACKENDS.join(', ')}`);
      return b as BackendName;
    });
  }
  if (o.storage !== undefined) {
    if (o.storage !== 'indexeddb' && o.storage !== 'memory') invalid('options.storage', 'expected "indexeddb" or "memory"');
    resolved.storage = o.storage;
  }
  if (o.persist !== undefined) {
    if (typeof o.persist !== 'boolean') invalid('options.persist', 'expected true or false');
    resolved.persist = o.persist;
  }
  if (o.timeoutMs !== undefined) {
    if (typeof o.timeoutMs !== 'number' || !Number.isFinite(o.timeoutMs) || o.timeoutMs < 100 || o.timeoutMs > 3_600_000) {
      invalid('options.timeoutMs', 'expected a number of milliseconds in 100..3600000');
    }
    resolved.timeoutMs = o.timeoutMs;
  }
  if (o.onProgress !== undefined) {
    if (typeof o.onProgress !== 'function') invalid('options.onProgress', 'expected a function');
    resolved.onProgress = o.onProgress as (event: ProgressEvent) => void;
  }
  if (o.workerUrl !== undefined) {
    if (typeof o.workerUrl !== 'string' && !(o.workerUrl instanceof URL)) invalid('options.workerUrl', 'expected a URL or string');
    resolved.workerUrl = o.workerUrl;
  }
  return resolved;
}
