/**
 * Makes TastebudError keep its class, `code` and `field` across the worker
 * boundary. Comlink's default 'throw' handler turns every error into a plain
 * Error; both sides install this one instead.
 */
import { transferHandlers, type TransferHandler } from 'comlink';
import { TastebudError, isTastebudErrorCode } from './errors';
import type { SerializedError } from './types';

interface ThrownValue {
  value: unknown;
}

function serializeError(value: unknown): SerializedError {
  if (value instanceof TastebudError) {
    const out: SerializedError = { isTastebudError: true, code: value.code, message: value.message };
    if (value.field !== undefined) out.field = value.field;
    if (value.stack !== undefined) out.stack = value.stack;
    return out;
  }
  const message = value instanceof Error ? `${value.name}: ${value.message}` : String(value);
  const code = value instanceof Error && value.name === 'QuotaExceededError' ? 'quota' : 'internal';
  const out: SerializedError = { isTastebudError: true, code, message };
  if (value instanceof Error && value.stack !== undefined) out.stack = value.stack;
  return out;
}

export function deserializeError(raw: unknown): TastebudError {
  const s = (typeof raw === 'object' && raw !== null ? raw : {}) as Partial<SerializedError>;
  const code = isTastebudErrorCode(s.code) ? s.code : 'internal';
  const message = typeof s.message === 'string' ? s.message : 'Unknown error in the tastebud worker';
  const err = new TastebudError(code, message, typeof s.field === 'string' ? { field: s.field } : {});
  if (typeof s.stack === 'string') err.stack = s.stack;
  return err;
}

let installed = false;

export function installErrorTransfer(): void {
  if (installed) return;
  installed = true;
  const original = transferHandlers.get('throw');
  if (!original) throw new Error('comlink has no "throw" transfer handler to replace');
  const handler: TransferHandler<ThrownValue, SerializedError> = {
    canHandle: (value: unknown): value is ThrownValue => original.canHandle(value),
    serialize: ({ value }) => [serializeError(value), []],
    deserialize: (serialized) => {
      throw deserializeError(serialized);
    },
  };
  transferHandlers.set('throw', handler as TransferHandler<unknown, unknown>);
}
