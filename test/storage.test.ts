import 'fake-indexeddb/auto';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { openDB } from 'idb';
import { Database, DB_VERSION, writeError } from '../workers/storage/db';
import { addEvents, countUserEvents, readHistory, readSeenItemIds } from '../workers/storage/events';
import { contentHash, countItems, deleteItems, putItems, readAllItems } from '../workers/storage/items';
import { exportUser, forgetUser, importUser } from '../workers/storage/portability';
import { readVectors, writeVectors } from '../workers/storage/vectors';
import { TastebudError } from '../common/errors';

let n = 0;
const fresh = (): Database => new Database(`test-${process.pid}-${n++}`);

test('events: one transaction per batch, newest first, users isolated', async () => {
  const db = fresh();
  await addEvents(db, 'ann', [
    { itemId: 'a', type: 'like', at: 1 },
    { itemId: 'b', type: 'view', at: 2 },
    { itemId: 'c', type: 'rate', value: 4, at: 3 },
  ]);
  await addEvents(db, 'bob', [{ itemId: 'z', type: 'like', at: 5 }]);
  assert.deepEqual(
    (await readHistory(db, 'ann', 10)).map((e) => e.itemId),
    ['c', 'b', 'a'],
  );
  assert.deepEqual(
    (await readHistory(db, 'ann', 10, 3)).map((e) => e.itemId),
    ['b', 'a'],
  );
  assert.deepEqual(
    (await readHistory(db, 'ann', 1)).map((e) => e.itemId),
    ['c'],
  );
  assert.equal(await countUserEvents(db, 'bob'), 1);
  assert.deepEqual([...(await readSeenItemIds(db, 'ann'))].sort(), ['a', 'b', 'c']);
  await db.close();
});

test('items: content hash changes only with content; delete removes vectors too', async () => {
  const db = fresh();
  assert.equal(contentHash({ id: 'a', text: 'x', tags: ['t'] }), contentHash({ id: 'b', text: 'x' }));
  assert.notEqual(contentHash({ id: 'a', text: 'x' }), contentHash({ id: 'a', text: 'y' }));
  await putItems(db, [
    { id: 'a', text: 'Alien' },
    { id: 'b', tags: ['x'] },
  ]);
  const conn = await db.get();
  await conn.put('vectors', { itemId: 'a', model: 'text:test@1', contentHash: 'h', vector: new Float32Array([1, 2]) });
  assert.equal(await deleteItems(db, ['a', 'missing']), 1);
  assert.deepEqual(
    (await readAllItems(db)).map((i) => i.id),
    ['b'],
  );
  assert.equal(await conn.count('vectors'), 0);
  assert.equal(await countItems(db), 1);
  await db.close();
});

test('export → forget → import restores the same history; merge skips duplicates; replace swaps', async () => {
  const db = fresh();
  await addEvents(db, 'ann', [
    { itemId: 'a', type: 'like', at: 1 },
    { itemId: 'b', type: 'rate', value: 2, at: 2 },
  ]);
  await addEvents(db, 'bob', [{ itemId: 'z', type: 'like', at: 1 }]);
  const exported = await exportUser(db, 'ann', 99);
  assert.equal(exported.events.length, 2);
  await forgetUser(db, 'ann');
  assert.equal(await countUserEvents(db, 'ann'), 0);
  assert.equal(await countUserEvents(db, 'bob'), 1, 'forget leaves other users alone');
  const conn = await db.get();
  assert.equal(await conn.get('profiles', 'ann'), undefined);
  assert.deepEqual(await importUser(db, 'ann', exported, 'merge'), { imported: 2, skippedDuplicates: 0 });
  assert.deepEqual(await importUser(db, 'ann', exported, 'merge'), { imported: 0, skippedDuplicates: 2 });
  assert.deepEqual((await exportUser(db, 'ann', 99)).events, exported.events);
  const one = { ...exported, events: [{ itemId: 'q', type: 'like' as const, at: 7 }] };
  assert.deepEqual(await importUser(db, 'ann', one, 'replace'), { imported: 1, skippedDuplicates: 0 });
  assert.deepEqual(
    (await readHistory(db, 'ann', 10)).map((e) => e.itemId),
    ['q'],
  );
  await db.close();
});

test('a batch that fails leaves nothing half-written', async () => {
  const db = fresh();
  // A value that cannot be cloned makes the second add throw inside the transaction.
  const uncloneable = (() => 1) as unknown as number;
  await assert.rejects(
    addEvents(db, 'ann', [
      { itemId: 'a', type: 'like', at: 1 },
      { itemId: 'b', type: 'like', at: 2, value: uncloneable },
    ]),
    (err: unknown) => err instanceof TastebudError,
  );
  assert.equal(await countUserEvents(db, 'ann'), 0);
  await db.close();
});

test('quota errors become TastebudError("quota")', () => {
  const quota = Object.assign(new Error('full'), { name: 'QuotaExceededError' });
  assert.equal(writeError(quota, 'x').code, 'quota');
  const abort = Object.assign(new Error('aborted'), { name: 'AbortError', target: { error: quota } });
  assert.equal(writeError(abort, 'x').code, 'quota');
});

test('migration: a database written by schema 1 upgrades with its data intact', async () => {
  const name = `migrate-${process.pid}`;
  // Schema 1 exactly as first released (see the history in workers/storage/db.ts).
  const v1 = await openDB(name, 1, {
    upgrade(db) {
      db.createObjectStore('items', { keyPath: 'id' });
      const events = db.createObjectStore('events', { keyPath: 'seq', autoIncrement: true });
      events.createIndex('by-user-time', ['userId', 'at']);
      db.createObjectStore('profiles', { keyPath: 'userId' });
    },
  });
  await v1.put('items', { id: 'a', tags: [], contentHash: 'h', updatedAt: 1 });
  await v1.add('events', { userId: 'ann', itemId: 'a', type: 'like', at: 1 });
  await v1.add('events', { userId: 'ann', itemId: 'b', type: 'view', at: 2 });
  await v1.put('profiles', { userId: 'ann', createdAt: 1, updatedAt: 2 });
  v1.close();

  const db = new Database(name);
  const conn = await db.get();
  assert.equal(conn.version, DB_VERSION);
  assert.deepEqual([...conn.objectStoreNames].sort(), [
    'adaptations',
    'events',
    'items',
    'meta',
    'models',
    'profiles',
    'vector-snapshots',
    'vectors',
  ]);
  assert.deepEqual(
    (await readHistory(db, 'ann', 10)).map((e) => e.itemId),
    ['b', 'a'],
  );
  assert.deepEqual([...(await readSeenItemIds(db, 'ann'))].sort(), ['a', 'b'], 'the new by-user-item index covers old rows');
  assert.equal(await countItems(db), 1);
  await db.close();
});

test('another tab upgrading the schema closes this connection, which reopens on next use', async () => {
  const name = `versionchange-${process.pid}`;
  const db = new Database(name);
  await addEvents(db, 'ann', [{ itemId: 'a', type: 'like', at: 1 }]);
  // A newer tastebud in another tab adds a store: ours must not block it...
  const newer = await openDB(name, DB_VERSION + 1, {
    upgrade(d) {
      d.createObjectStore('future');
    },
  });
  newer.close();
  // ...and ours keeps working on the newer (superset) schema.
  await addEvents(db, 'ann', [{ itemId: 'b', type: 'like', at: 2 }]);
  assert.deepEqual(
    (await readHistory(db, 'ann', 10)).map((e) => e.itemId),
    ['b', 'a'],
  );
  assert.equal((await db.get()).version, DB_VERSION + 1);
  await db.close();
});

test('a newer schema that dropped what we need gives a clear storage-unavailable error', async () => {
  const name = `incompatible-${process.pid}`;
  const db = new Database(name);
  await addEvents(db, 'ann', [{ itemId: 'a', type: 'like', at: 1 }]);
  const newer = await openDB(name, DB_VERSION + 1, {
    upgrade(d) {
      d.deleteObjectStore('meta');
    },
  });
  newer.close();
  await assert.rejects(
    readHistory(db, 'ann', 1),
    (err: unknown) =>
      err instanceof TastebudError && err.code === 'storage-unavailable' && /meta/.test(err.message) && /reload/.test(err.message),
  );
});

test('vector snapshots: one record per model, rebuilt after any write or item removal, always equal to the vectors store', async () => {
  const db = new Database(`snapshots-${process.pid}`);
  const row = (itemId: string, model: string, hash: string, v: number): Parameters<typeof writeVectors>[1][number] => ({
    itemId,
    model,
    contentHash: hash,
    vector: Float32Array.from([v, v + 1, v + 2]),
  });
  const plain = (records: Awaited<ReturnType<typeof readVectors>>): Array<[string, string, number[]]> =>
    records.map((r) => [r.itemId, r.contentHash, [...r.vector]] as [string, string, number[]]).sort((a, b) => a[0].localeCompare(b[0]));
  const snapshot = async (model: string): Promise<unknown> => (await db.get()).get('vector-snapshots', model);
  try {
    await putItems(db, [{ id: 'a' }, { id: 'b' }, { id: 'c' }]);
    await writeVectors(db, [row('a', 'text:m@1', 'h1', 1), row('b', 'text:m@1', 'h2', 4), row('a', 'image:m@1', 'h9', 7)]);
    assert.equal(await snapshot('text:m@1'), undefined);
    const first = plain(await readVectors(db, 'text:m@1'));
    assert.deepEqual(first, [
      ['a', 'h1', [1, 2, 3]],
      ['b', 'h2', [4, 5, 6]],
    ]);
    assert.ok(await snapshot('text:m@1'), 'the first read writes the snapshot');
    assert.deepEqual(plain(await readVectors(db, 'text:m@1')), first, 'the snapshot reads back the same vectors');
    // A changed item: the write drops the snapshot in its own transaction, the next read has the new row.
    await writeVectors(db, [row('b', 'text:m@1', 'h3', 10)]);
    assert.equal(await snapshot('text:m@1'), undefined);
    assert.deepEqual(plain(await readVectors(db, 'text:m@1')), [
      ['a', 'h1', [1, 2, 3]],
      ['b', 'h3', [10, 11, 12]],
    ]);
    await readVectors(db, 'image:m@1');
    await deleteItems(db, ['a']);
    assert.equal(await snapshot('text:m@1'), undefined);
    assert.equal(await snapshot('image:m@1'), undefined);
    assert.deepEqual(plain(await readVectors(db, 'text:m@1')), [['b', 'h3', [10, 11, 12]]]);
    assert.deepEqual(plain(await readVectors(db, 'image:m@1')), []);
  } finally {
    await db.close();
  }
});
