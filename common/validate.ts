/**
 * Input checks for every public call. Each validator returns a clean copy built
 * from known fields only (so nothing like `__proto__` is carried along) or throws
 * `TastebudError('invalid-argument')` naming the field. Runs on the page before
 * anything crosses to the worker, and again in the worker for imported data.
 */
import { TastebudError } from './errors';
import { EVENT_TYPES, type EventType } from './types';
import type {
  AdaptOptions,
  ExportData,
  HistoryOptions,
  ImportOptions,
  Item,
  JsonValue,
  RecommendOptions,
  SimilarOptions,
  StoredEvent,
  TrackEvent,
} from './types';

export const LIMITS = {
  idLength: 512,
  textLength: 100_000,
  /** A review event's text. */
  reviewLength: 10_000,
  imageUrlLength: 8_192,
  tagLength: 256,
  tagsPerItem: 100,
  metaBytes: 65_536,
  metaDepth: 16,
  itemsPerCall: 100_000,
  eventsPerCall: 100_000,
  eventsPerImport: 1_000_000,
  k: 1_000,
  historyLimit: 100_000,
  excludeLength: 100_000,
  /** |TrackEvent.value|: far beyond any rating or weight, far below where float32 scores overflow. */
  eventValue: 1_000_000,
  /** How far ahead of the clock an event's `at` may be (clock skew); later times would pin the profile window. */
  futureMs: 86_400_000,
  /** A model manifest's JSON. */
  manifestBytes: 1_048_576,
  /** One model file, as declared by `bytes` in its manifest. */
  modelFileBytes: 536_870_912,
  /** All files of one model together. */
  modelBytes: 1_073_741_824,
  /** A popularity or co-occurrence table (JSON). */
  tableBytes: 67_108_864,
  /** One item image (URL or Blob), before decoding. */
  imageBytes: 16_777_216,
  /** An item image's width and height, read from its header before decoding. */
  imageSide: 8_192,
  /** An item image's width × height (128 MiB as RGBA), read from its header before decoding. */
  imagePixels: 33_554_432,
  /** Item images decoded at once in a worker. */
  imageDecodes: 4,
} as const;

const EVENT_TYPE_SET: ReadonlySet<string> = new Set(EVENT_TYPES);
const FORBIDDEN_KEYS: ReadonlySet<string> = new Set(['__proto__', 'constructor', 'prototype']);
// C0/C1 control characters and the Unicode line/paragraph separators.
const CONTROL_CHARS = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/;

/** Throws the `invalid-argument` error every check uses, naming the field. */
export function invalid(field: string, message: string): never {
  throw new TastebudError('invalid-argument', `${field}: ${message}`, { field });
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const proto: unknown = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'number' && !Number.isFinite(value)) return String(value);
  if (typeof value === 'string') return value.length > 40 ? `a string of ${value.length} characters` : JSON.stringify(value);
  return typeof value;
}

export function checkObject(value: unknown, field: string): Record<string, unknown> {
  if (!isPlainObject(value)) invalid(field, `expected a plain object, got ${describe(value)}`);
  return value;
}

export function checkId(value: unknown, field: string): string {
  if (typeof value !== 'string') invalid(field, `expected a string id, got ${describe(value)}`);
  if (value.length === 0) invalid(field, 'must not be empty');
  if (value.length > LIMITS.idLength) invalid(field, `must be at most ${LIMITS.idLength} characters, got ${value.length}`);
  if (CONTROL_CHARS.test(value)) invalid(field, 'must not contain control characters');
  return value;
}

export function checkFinite(value: unknown, field: string): number {
  if (typeof value !== 'number' || !Number.isFinite(value)) invalid(field, `expected a finite number, got ${describe(value)}`);
  return value;
}

function checkInt(value: unknown, field: string, min: number, max: number): number {
  const n = checkFinite(value, field);
  if (!Number.isInteger(n) || n < min || n > max) invalid(field, `expected an integer in ${min}..${max}, got ${n}`);
  return n;
}

function checkBoolean(value: unknown, field: string): boolean {
  if (typeof value !== 'boolean') invalid(field, `expected true or false, got ${describe(value)}`);
  return value;
}

function checkArray(value: unknown, field: string, max: number): unknown[] {
  if (!Array.isArray(value)) invalid(field, `expected an array, got ${describe(value)}`);
  if (value.length > max) invalid(field, `at most ${max} entries per call, got ${value.length}`);
  return value;
}

function checkIdList(value: unknown, field: string, max: number = LIMITS.excludeLength): string[] {
  return checkArray(value, field, max).map((v, i) => checkId(v, `${field}[${i}]`));
}

function checkTag(value: unknown, field: string): string {
  if (typeof value !== 'string' || value.length === 0) invalid(field, `expected a non-empty string, got ${describe(value)}`);
  if (value.length > LIMITS.tagLength) invalid(field, `must be at most ${LIMITS.tagLength} characters`);
  if (CONTROL_CHARS.test(value)) invalid(field, 'must not contain control characters');
  return value;
}

function checkJson(value: unknown, field: string, depth: number): JsonValue {
  if (depth > LIMITS.metaDepth) invalid(field, `nested deeper than ${LIMITS.metaDepth} levels`);
  if (value === null || typeof value === 'string' || typeof value === 'boolean') return value;
  if (typeof value === 'number') return checkFinite(value, field);
  if (Array.isArray(value)) return value.map((v, i) => checkJson(v, `${field}[${i}]`, depth + 1));
  if (isPlainObject(value)) {
    const out: Record<string, JsonValue> = {};
    for (const key of Object.keys(value)) {
      if (FORBIDDEN_KEYS.has(key)) invalid(`${field}.${key}`, 'this key is not allowed');
      Object.defineProperty(out, key, {
        value: checkJson(value[key], `${field}.${key}`, depth + 1),
        enumerable: true,
        writable: true,
        configurable: true,
      });
    }
    return out;
  }
  return invalid(field, `is not JSON-safe (${describe(value)})`);
}

function checkMeta(value: unknown, field: string): Record<string, JsonValue> {
  if (!isPlainObject(value)) invalid(field, `expected a plain object, got ${describe(value)}`);
  const meta = checkJson(value, field, 0) as Record<string, JsonValue>;
  const bytes = JSON.stringify(meta).length;
  if (bytes > LIMITS.metaBytes) invalid(field, `is ${bytes} bytes as JSON, at most ${LIMITS.metaBytes}`);
  return meta;
}

export function validateItem(value: unknown, field: string): Item {
  const o = checkObject(value, field);
  const item: Item = { id: checkId(o.id, `${field}.id`) };
  if (o.text !== undefined) {
    if (typeof o.text !== 'string') invalid(`${field}.text`, `expected a string, got ${describe(o.text)}`);
    if (o.text.length > LIMITS.textLength)
      invalid(`${field}.text`, `must be at most ${LIMITS.textLength} characters, got ${o.text.length}`);
    item.text = o.text;
  }
  if (o.image !== undefined) {
    if (typeof o.image === 'string') {
      if (o.image.length === 0 || o.image.length > LIMITS.imageUrlLength)
        invalid(`${field}.image`, `URL must be 1..${LIMITS.imageUrlLength} characters`);
      item.image = o.image;
    } else if (typeof Blob !== 'undefined' && o.image instanceof Blob) {
      item.image = o.image;
    } else {
      invalid(`${field}.image`, `expected a URL string or a Blob, got ${describe(o.image)}`);
    }
  }
  if (o.tags !== undefined)
    item.tags = checkArray(o.tags, `${field}.tags`, LIMITS.tagsPerItem).map((t, i) => checkTag(t, `${field}.tags[${i}]`));
  if (o.meta !== undefined) item.meta = checkMeta(o.meta, `${field}.meta`);
  return item;
}

export function validateItems(value: unknown): Item[] {
  const items = checkArray(value, 'items', LIMITS.itemsPerCall).map((v, i) => validateItem(v, `items[${i}]`));
  const seen = new Set<string>();
  items.forEach((item, i) => {
    if (seen.has(item.id)) invalid(`items[${i}].id`, `duplicate id ${JSON.stringify(item.id)} in the same call`);
    seen.add(item.id);
  });
  return items;
}

export function validateIds(value: unknown, field = 'ids'): string[] {
  return checkIdList(value, field, LIMITS.itemsPerCall);
}

function validateEventFields(o: Record<string, unknown>, field: string, now: number): TrackEvent {
  const itemId = checkId(o.itemId, `${field}.itemId`);
  if (typeof o.type !== 'string' || !EVENT_TYPE_SET.has(o.type)) {
    invalid(`${field}.type`, `expected one of ${EVENT_TYPES.join(', ')}, got ${describe(o.type)}`);
  }
  const event: TrackEvent = { itemId, type: o.type as EventType };
  if (o.value !== undefined) {
    const value = checkFinite(o.value, `${field}.value`);
    if (Math.abs(value) > LIMITS.eventValue)
      invalid(`${field}.value`, `must be between -${LIMITS.eventValue} and ${LIMITS.eventValue}, got ${value}`);
    event.value = value;
  }
  if (event.type === 'rate' && event.value === undefined) invalid(`${field}.value`, 'a rate event needs a numeric value');
  if (o.text !== undefined && event.type !== 'review') invalid(`${field}.text`, `only a review event has text, not ${event.type}`);
  if (event.type === 'review') {
    if (typeof o.text !== 'string') invalid(`${field}.text`, `a review event needs its text as a string, got ${describe(o.text)}`);
    if (o.text.trim().length === 0) invalid(`${field}.text`, 'must not be empty');
    if (o.text.length > LIMITS.reviewLength)
      invalid(`${field}.text`, `must be at most ${LIMITS.reviewLength} characters, got ${o.text.length}`);
    event.text = o.text;
  }
  if (o.at !== undefined) {
    const at = checkFinite(o.at, `${field}.at`);
    if (at < 0) invalid(`${field}.at`, 'must be a time in ms since the epoch (>= 0)');
    if (at > now + LIMITS.futureMs) invalid(`${field}.at`, 'must not be more than a day in the future');
    event.at = at;
  }
  if (o.id !== undefined) event.id = checkId(o.id, `${field}.id`);
  return event;
}

export function validateEvents(value: unknown): TrackEvent[] {
  const list = Array.isArray(value) ? value : [value];
  const field = Array.isArray(value) ? 'events' : 'event';
  checkArray(list, field, LIMITS.eventsPerCall);
  if (list.length === 0) invalid(field, 'must contain at least one event');
  const now = Date.now();
  return list.map((v, i) =>
    validateEventFields(
      checkObject(v, Array.isArray(value) ? `${field}[${i}]` : field),
      Array.isArray(value) ? `${field}[${i}]` : field,
      now,
    ),
  );
}

export function validateRecommendOptions(
  value: unknown,
): Required<Pick<RecommendOptions, 'k' | 'excludeSeen' | 'diversity'>> & RecommendOptions {
  const o = value === undefined ? {} : checkObject(value, 'options');
  const out = {
    k: o.k === undefined ? 10 : checkInt(o.k, 'options.k', 1, LIMITS.k),
    excludeSeen: o.excludeSeen === undefined ? true : checkBoolean(o.excludeSeen, 'options.excludeSeen'),
    diversity: o.diversity === undefined ? 0 : checkFinite(o.diversity, 'options.diversity'),
  } as Required<Pick<RecommendOptions, 'k' | 'excludeSeen' | 'diversity'>> & RecommendOptions;
  if (out.diversity < 0 || out.diversity > 1) invalid('options.diversity', 'must be between 0 and 1');
  if (o.novelty !== undefined) {
    out.novelty = checkFinite(o.novelty, 'options.novelty');
    if (out.novelty < 0 || out.novelty > 1) invalid('options.novelty', 'must be between 0 and 1');
  }
  if (o.exclude !== undefined) out.exclude = checkIdList(o.exclude, 'options.exclude');
  if (o.tags !== undefined)
    out.tags = checkArray(o.tags, 'options.tags', LIMITS.tagsPerItem).map((t, i) => checkTag(t, `options.tags[${i}]`));
  if (o.excludeTags !== undefined)
    out.excludeTags = checkArray(o.excludeTags, 'options.excludeTags', LIMITS.tagsPerItem).map((t, i) =>
      checkTag(t, `options.excludeTags[${i}]`),
    );
  return out;
}

export function validateSimilarOptions(value: unknown): { k: number; exclude?: string[] } {
  const o = value === undefined ? {} : checkObject(value, 'options');
  const out: { k: number; exclude?: string[] } = { k: o.k === undefined ? 10 : checkInt(o.k, 'options.k', 1, LIMITS.k) };
  if (o.exclude !== undefined) out.exclude = checkIdList(o.exclude, 'options.exclude');
  return out;
}

export function validateHistoryOptions(value: unknown): { limit: number; before?: number } {
  const o = value === undefined ? {} : (checkObject(value, 'options') as HistoryOptions & Record<string, unknown>);
  const out: { limit: number; before?: number } = {
    limit: o.limit === undefined ? 100 : checkInt(o.limit, 'options.limit', 1, LIMITS.historyLimit),
  };
  if (o.before !== undefined) out.before = checkFinite(o.before, 'options.before');
  return out;
}

export function validateImportOptions(value: unknown): Required<ImportOptions> {
  const o = value === undefined ? {} : checkObject(value, 'options');
  const mode = o.mode === undefined ? 'merge' : o.mode;
  if (mode !== 'merge' && mode !== 'replace') invalid('options.mode', `expected "merge" or "replace", got ${describe(mode)}`);
  return { mode };
}

/** Checks an export file (untrusted: may come from anywhere) and rebuilds it from known fields. */
export function validateExportData(value: unknown): ExportData {
  const o = checkObject(value, 'data');
  if (o.format !== 'tastebud-export') invalid('data.format', `expected "tastebud-export", got ${describe(o.format)}`);
  if (o.version !== 1) invalid('data.version', `this tastebud reads export version 1, got ${describe(o.version)}`);
  const userId = checkId(o.userId, 'data.userId');
  const exportedAt = checkFinite(o.exportedAt, 'data.exportedAt');
  const now = Date.now();
  const events: StoredEvent[] = checkArray(o.events, 'data.events', LIMITS.eventsPerImport).map((v, i) => {
    const field = `data.events[${i}]`;
    const e = validateEventFields(checkObject(v, field), field, now);
    if (e.at === undefined) invalid(`${field}.at`, 'exported events must have a time');
    const stored: StoredEvent = { itemId: e.itemId, type: e.type, at: e.at };
    if (e.value !== undefined) stored.value = e.value;
    if (e.text !== undefined) stored.text = e.text;
    if (e.id !== undefined) stored.id = e.id;
    return stored;
  });
  return { format: 'tastebud-export', version: 1, userId, exportedAt, events };
}

export const QUERY_MAX_LENGTH = 1_000;

export function validateQuery(value: unknown): string {
  if (typeof value !== 'string') invalid('query', `expected a string, got ${describe(value)}`);
  if (value.trim().length === 0) invalid('query', 'must not be empty');
  if (value.length > QUERY_MAX_LENGTH) invalid('query', `must be at most ${QUERY_MAX_LENGTH} characters, got ${value.length}`);
  return value;
}

export function validateUpsertOptions(value: unknown): { signal?: AbortSignal } {
  if (value === undefined) return {};
  if (typeof value !== 'object' || value === null) invalid('options', `expected an object, got ${describe(value)}`);
  const signal = (value as { signal?: unknown }).signal;
  if (signal === undefined) return {};
  if (typeof AbortSignal === 'undefined' || !(signal instanceof AbortSignal)) invalid('options.signal', 'expected an AbortSignal');
  return { signal };
}

export function validateAdaptOptions(value: unknown): AdaptOptions {
  const o = value === undefined ? {} : checkObject(value, 'options');
  const out: AdaptOptions = {};
  if (o.maxMs !== undefined) out.maxMs = checkInt(o.maxMs, 'options.maxMs', 1, 600_000);
  if (o.steps !== undefined) out.steps = checkInt(o.steps, 'options.steps', 1, 1000);
  if (o.lr !== undefined) {
    const lr = checkFinite(o.lr, 'options.lr');
    if (!(lr > 0 && lr <= 0.1))
      throw new TastebudError('invalid-argument', `options.lr must be > 0 and ≤ 0.1, got ${lr}`, { field: 'options.lr' });
    out.lr = lr;
  }
  return out;
}
