/**
 * Every type and list in the public types module is exported from the package
 * entry, so a caller can name whatever a public signature uses.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import * as api from '../lib/index';

const TYPES = 'common/types.ts';
const ENTRY = 'lib/index.ts';
/** Shapes that only cross the worker boundary, never a public signature. */
const INTERNAL = new Set(['SerializedError']);

const exportedNames = (file: string): string[] =>
  [...readFileSync(file, 'utf8').matchAll(/^export (?:interface|type|const) (\w+)/gm)].map((m) => m[1]!);

test('every public type and list of common/types.ts is exported from the package entry', () => {
  const entry = readFileSync(ENTRY, 'utf8');
  const missing = exportedNames(TYPES).filter((name) => !INTERNAL.has(name) && !new RegExp(`\\b${name}\\b`).test(entry));
  assert.deepEqual(missing, []);
});

test('the exported lists are frozen and the defaults are drawn from them', () => {
  for (const list of [
    api.BACKENDS,
    api.EVENT_TYPES,
    api.ERROR_CODES,
    api.REASON_SOURCES,
    api.PROGRESS_TASKS,
    api.STORAGE_MODES,
    api.IMPORT_MODES,
    api.MODEL_KINDS,
  ]) {
    assert.ok(Object.isFrozen(list));
    assert.equal(new Set(list).size, list.length);
  }
  assert.ok(Object.isFrozen(api.DEFAULTS) && Object.isFrozen(api.DEFAULTS.adapt) && Object.isFrozen(api.DEFAULTS.backends));
  for (const b of api.DEFAULTS.backends) assert.ok(api.BACKENDS.includes(b));
  assert.ok(api.STORAGE_MODES.includes(api.DEFAULTS.storage));
  assert.ok(api.IMPORT_MODES.includes(api.DEFAULTS.importMode));
});
