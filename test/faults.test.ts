/** Unit side of the fault suite (the browser side is e2e/faults/): options, manifest format, memory storage. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { resolveOptions } from '../lib/options';
import { TastebudError } from '../common/errors';
import { parseManifest } from '../common/model-format/manifest';
import { Database } from '../workers/storage/db';
import { addEvents, readHistory } from '../workers/storage/events';

const isCode =
  (code: string, field?: string) =>
  (err: unknown): boolean =>
    err instanceof TastebudError && err.code === code && (field === undefined || err.field === field);

test('options.storage defaults to indexeddb, accepts memory, names the field otherwise', () => {
  assert.equal(resolveOptions({}).storage, 'indexeddb');
  assert.equal(resolveOptions({ storage: 'memory' }).storage, 'memory');
  assert.throws(() => resolveOptions({ storage: 'disk' }), isCode('invalid-argument', 'options.storage'));
});

test('a manifest with a newer format version is unsupported, not a load error', () => {
  const manifest = { formatVersion: 99, kind: 'sequence', name: 'sasrec', version: '1', files: [], config: {} };
  assert.throws(
    () => parseManifest(manifest, 'sequence'),
    (err: unknown) => isCode('unsupported', 'formatVersion')(err) && /format 99 is newer/.test((err as Error).message),
  );
});

// Node has no IndexedDB: exactly the "storage unavailable" case. (Order matters: the memory test installs one.)
test('without IndexedDB the default mode rejects storage-unavailable and says how to opt into memory', async () => {
  assert.equal(typeof (globalThis as { indexedDB?: unknown }).indexedDB, 'undefined');
  const db = new Database('no-idb');
  await assert.rejects(db.get(), (err: unknown) => isCode('storage-unavailable')(err) && /storage: 'memory'/.test((err as Error).message));
});

test("storage: 'memory' keeps a working database in memory when IndexedDB is missing", async () => {
  const db = new Database('mem', 'memory');
  assert.equal(
    await addEvents(db, 'ann', [
      { itemId: 'a', type: 'like', at: 1 },
      { itemId: 'b', type: 'view', at: 2 },
    ]),
    2,
  );
  assert.deepEqual(
    (await readHistory(db, 'ann', 10)).map((e) => e.itemId),
    ['b', 'a'],
  );
  await db.close();
});
