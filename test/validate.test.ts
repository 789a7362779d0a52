import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { TastebudError } from '../common/errors';
import {
  validateEvents,
  validateExportData,
  validateItems,
  validateRecommendOptions,
  validateHistoryOptions,
  validateImportOptions,
  LIMITS,
} from '../common/validate';
import { resolveOptions } from '../lib/options';

function rejects(fn: () => unknown, field: string): void {
  assert.throws(fn, (err: unknown) => {
    assert.ok(err instanceof TastebudError, `expected TastebudError, got ${String(err)}`);
    assert.equal(err.code, 'invalid-argument');
    assert.equal(err.field, field);
    assert.ok(err.message.startsWith(field), err.message);
    return true;
  });
}

test('items: accepts good items and returns clean copies', () => {
  const items = validateItems([{ id: 'a', text: 'Alien', tags: ['sci-fi'], meta: { year: 1979, cast: ['Weaver'], extra: null } }]);
  assert.deepEqual(items, [{ id: 'a', text: 'Alien', tags: ['sci-fi'], meta: { year: 1979, cast: ['Weaver'], extra: null } }]);
});

test('items: each bad field is named', () => {
  rejects(() => validateItems('nope'), 'items');
  rejects(() => validateItems([{ id: '' }]), 'items[0].id');
  rejects(() => validateItems([{ id: 'x'.repeat(LIMITS.idLength + 1) }]), 'items[0].id');
  rejects(() => validateItems([{ id: 'a\u0000b' }]), 'items[0].id');
  rejects(() => validateItems([{ id: 'a' }, { id: 7 }]), 'items[1].id');
  rejects(() => validateItems([{ id: 'a', text: 5 }]), 'items[0].text');
  rejects(() => validateItems([{ id: 'a', text: 'x'.repeat(LIMITS.textLength + 1) }]), 'items[0].text');
  rejects(() => validateItems([{ id: 'a', tags: ['ok', ''] }]), 'items[0].tags[1]');
  rejects(() => validateItems([{ id: 'a', meta: { n: Number.NaN } }]), 'items[0].meta.n');
  rejects(() => validateItems([{ id: 'a', meta: { f: () => 1 } }]), 'items[0].meta.f');
  rejects(() => validateItems([{ id: 'a', meta: JSON.parse('{"__proto__": {"polluted": true}}') }]), 'items[0].meta.__proto__');
  rejects(() => validateItems([{ id: 'a' }, { id: 'a' }]), 'items[1].id');
  rejects(() => validateItems([{ id: 'a', image: 42 }]), 'items[0].image');
  assert.equal(({} as Record<string, unknown>).polluted, undefined);
});

test('events: single and batch, defaults and errors', () => {
  assert.deepEqual(validateEvents({ itemId: 'a', type: 'like' }), [{ itemId: 'a', type: 'like' }]);
  assert.deepEqual(validateEvents([{ itemId: 'a', type: 'rate', value: 4, at: 5 }]), [{ itemId: 'a', type: 'rate', value: 4, at: 5 }]);
  rejects(() => validateEvents({ itemId: 'a', type: 'love' }), 'event.type');
  rejects(
    () =>
      validateEvents([
        { itemId: 'a', type: 'like' },
        { itemId: 'b', type: 'rate' },
      ]),
    'events[1].value',
  );
  rejects(() => validateEvents([{ itemId: 'a', type: 'like', value: Infinity }]), 'events[0].value');
  rejects(() => validateEvents([{ itemId: 'a', type: 'like', at: -1 }]), 'events[0].at');
  rejects(() => validateEvents([]), 'events');
  rejects(() => validateEvents(null), 'event');
});

test('options: k range, booleans, diversity', () => {
  assert.deepEqual(validateRecommendOptions(undefined), { k: 10, excludeSeen: true, diversity: 0 });
  rejects(() => validateRecommendOptions({ k: 0 }), 'options.k');
  rejects(() => validateRecommendOptions({ k: 1001 }), 'options.k');
  rejects(() => validateRecommendOptions({ k: 2.5 }), 'options.k');
  rejects(() => validateRecommendOptions({ excludeSeen: 'yes' }), 'options.excludeSeen');
  rejects(() => validateRecommendOptions({ diversity: 2 }), 'options.diversity');
  rejects(() => validateHistoryOptions({ limit: -1 }), 'options.limit');
  rejects(() => validateImportOptions({ mode: 'upsert' }), 'options.mode');
  rejects(() => resolveOptions({ backends: ['webgpu', 'metal'] }), 'options.backends[1]');
  rejects(() => resolveOptions({ timeoutMs: 0 }), 'options.timeoutMs');
  rejects(() => resolveOptions({ userId: '' }), 'options.userId');
  assert.equal(resolveOptions(undefined).timeoutMs, 30_000);
  assert.deepEqual(resolveOptions(undefined).backends, ['webgpu', 'webgl', 'wasm', 'cpu']);
  // Only the default order demotes a software-emulated GPU; a listed order is kept.
  assert.equal(resolveOptions(undefined).backendsListed, false);
  assert.equal(resolveOptions({ backends: ['webgl', 'cpu'] }).backendsListed, true);
});

test('export data: rebuilt from known fields only', () => {
  const hostile = JSON.parse(
    '{"format":"tastebud-export","version":1,"userId":"u","exportedAt":1,"events":[{"itemId":"a","type":"like","at":3,"__proto__":{"x":1},"extra":"dropped"}],"constructor":{"prototype":{"y":2}}}',
  );
  const clean = validateExportData(hostile);
  assert.deepEqual(clean, {
    format: 'tastebud-export',
    version: 1,
    userId: 'u',
    exportedAt: 1,
    events: [{ itemId: 'a', type: 'like', at: 3 }],
  });
  rejects(() => validateExportData({ ...clean, version: 2 }), 'data.version');
  rejects(() => validateExportData({ ...clean, events: [{ itemId: 'a', type: 'like' }] }), 'data.events[0].at');
  rejects(() => validateExportData({ ...clean, events: [{ itemId: 'a', type: 'like', at: Number.NaN }] }), 'data.events[0].at');
});

test('fuzz: validators only ever throw invalid-argument TastebudErrors', () => {
  const validators = [
    validateItems,
    validateEvents,
    validateRecommendOptions,
    validateExportData,
    validateHistoryOptions,
    validateImportOptions,
    resolveOptions,
  ];
  fc.assert(
    fc.property(
      fc.anything({ withNullPrototype: true, withBigInt: true, withDate: true, withMap: true, withSet: true, withTypedArray: true }),
      (value) => {
        for (const validate of validators) {
          try {
            validate(value);
          } catch (err) {
            if (!(err instanceof TastebudError) || err.code !== 'invalid-argument' || typeof err.field !== 'string') return false;
          }
        }
        return ({} as Record<string, unknown>).polluted === undefined;
      },
    ),
    { numRuns: 2000 },
  );
});
