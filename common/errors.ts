/**
 * The one error class tastebud throws. `code` is stable and survives the
 * worker boundary (see `transfer.ts`), so callers can switch on it.
 * Leaf module: imports nothing of ours, so both the page and the worker use it.
 */
/** Every `code` a TastebudError can carry; see the README's Errors table for when each is used. */
export const ERROR_CODES = Object.freeze([
  'invalid-argument',
  'not-found',
  'timeout',
  'worker-crashed',
  'disposed',
  'aborted',
  'quota',
  'storage-unavailable',
  'backend-unavailable',
  'model-integrity',
  'model-load',
  'unsupported',
  'internal',
] as const);
export type TastebudErrorCode = (typeof ERROR_CODES)[number];

export interface TastebudErrorOptions {
  /** Name of the offending field for `invalid-argument`, e.g. `events[3].itemId`. */
  field?: string;
  cause?: unknown;
}

export class TastebudError extends Error {
  readonly code: TastebudErrorCode;
  readonly field?: string;

  constructor(code: TastebudErrorCode, message: string, options: TastebudErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'TastebudError';
    this.code = code;
    if (options.field !== undefined) this.field = options.field;
  }
}

export function isTastebudError(value: unknown): value is TastebudError {
  return value instanceof TastebudError;
}

const CODES: ReadonlySet<string> = new Set(ERROR_CODES);

export function isTastebudErrorCode(value: unknown): value is TastebudErrorCode {
  return typeof value === 'string' && CODES.has(value);
}

/** Wraps anything thrown into a TastebudError, keeping TastebudErrors as they are. */
export function toTastebudError(err: unknown, fallback: TastebudErrorCode = 'internal'): TastebudError {
  if (err instanceof TastebudError) return err;
  if (isDomException(err, 'QuotaExceededError')) {
    return new TastebudError(
      'quota',
      'The browser storage quota is full; nothing from this call was written. Free space or call forget().',
      { cause: err },
    );
  }
  const message = err instanceof Error ? err.message : String(err);
  return new TastebudError(fallback, message, { cause: err });
}

export function isDomException(err: unknown, name: string): boolean {
  return typeof err === 'object' && err !== null && (err as { name?: unknown }).name === name;
}
