/** Reliability rules of the storage layer and the model loader, in Node on fake-indexeddb. */
import 'fake-indexeddb/auto';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Database, type ModelRecord } from '../workers/storage/db';
import { addEvents, countAllEvents, countUserEvents, readHistory, readSeenItemIds } from '../workers/storage/events';
import { countItems, countVectors, deleteItems, putItems, readAllItems } from '../workers/storage/items';
import { readVectors, writeVectors } from '../workers/storage/vectors';
import { readCachedModel, writeCachedModel } from '../workers/storage/models';
import { forgetUser, importUser, readForgetEpoch } from '../workers/storage/portability';
import { deleteAdaptation, readAdaptation, writeAdaptation } from '../workers/storage/adaptations';
import { readLimited, resolveModelFile } from '../workers/models/loader';
import { validateEvents, validateExportData, LIMITS } from '../common/validate';
import { TastebudError } from '../common/errors';

let n = 0;
const fresh = (): Database => new Database(`reliability-${process.pid}-${n++}`);

test('track() retried with the same event ids stores each event once', async () => {
  const db = fresh();
  const batch = [
    { itemId: 'a', type: 'like' as const, at: 1, id: 'e-1' },
    { itemId: 'b', type: 'view' as const, at: 2, id: 'e-2' },
  ];
  await addEvents(db, 'ann', batch);
  await addEvents(db, 'ann', batch);
  await addEvents(db, 'ann', [...batch, { itemId: 'c', type: 'view', at: 3, id: 'e-3' }, { itemId: 'c', type: 'view', at: 3, id: 'e-3' }]);
  assert.equal(await countUserEvents(db, 'ann'), 3);
  // Events without an id keep today's meaning: every call appends.
  await addEvents(db, 'ann', [{ itemId: 'd', type: 'view', at: 4 }]);
  await addEvents(db, 'ann', [{ itemId: 'd', type: 'view', at: 4 }]);
  assert.equal(await countUserEvents(db, 'ann'), 5);
  // An import carrying already stored ids is a no-op for them.
  const data = validateExportData({ format: 'tastebud-export', version: 1, userId: 'ann', exportedAt: 0, events: batch });
  assert.deepEqual(await importUser(db, 'ann', data, 'merge'), { imported: 0, skippedDuplicates: 2 });
  await db.close();
});

test('adapted weights fitted before a forget() are never stored after it (forget epoch, any tab)', async () => {
  const db = fresh();
  const record = { userId: 'ann', model: 'm@1', weights: new ArrayBuffer(8), steps: 1, events: 3, updatedAt: 1 };
  const before = await readForgetEpoch(db);
  await forgetUser(db, 'ann');
  assert.equal(await writeAdaptation(db, record, before), false);
  assert.equal(await readAdaptation(db, 'ann', 'm@1'), undefined);
  assert.equal(await writeAdaptation(db, record, await readForgetEpoch(db)), true);
  assert.ok(await readAdaptation(db, 'ann', 'm@1'));
  await db.close();
});

test('a connection that died without a close event is replaced and the write goes through', async () => {
  const db = fresh();
  await addEvents(db, 'ann', [{ itemId: 'a', type: 'like', at: 1 }]);
  // close() on the raw connection fires no `close` event: every transaction() now throws InvalidStateError.
  (await db.get()).close();
  await addEvents(db, 'ann', [{ itemId: 'b', type: 'like', at: 2 }]);
  assert.equal(await countUserEvents(db, 'ann'), 2);
  await db.close();
});

test('every read, count, item, vector and model-cache call replaces a connection that died without a close event', async () => {
  const db = fresh();
  await addEvents(db, 'ann', [{ itemId: 'a', type: 'like', at: 1 }]);
  await putItems(db, [{ id: 'a' }, { id: 'b' }]);
  const vector = { itemId: 'a', model: 'text:m@1', contentHash: 'h', vector: new Float32Array([1, 0]) };
  const model = { url: '/m/manifest.json', version: '1', manifest: {} as ModelRecord['manifest'], files: {}, storedAt: 1 };
  const ops: Record<string, () => Promise<unknown>> = {
    readHistory: async () => assert.equal((await readHistory(db, 'ann', 10)).length, 1),
    readSeenItemIds: async () => assert.deepEqual([...(await readSeenItemIds(db, 'ann'))], ['a']),
    countUserEvents: async () => assert.equal(await countUserEvents(db, 'ann'), 1),
    countAllEvents: async () => assert.equal(await countAllEvents(db), 1),
    readAllItems: async () => assert.equal((await readAllItems(db)).length, 2),
    countItems: async () => assert.equal(await countItems(db), 2),
    putItems: () => putItems(db, [{ id: 'c' }]),
    deleteItems: async () => assert.equal(await deleteItems(db, ['c']), 1),
    writeVectors: () => writeVectors(db, [vector]),
    readVectors: async () => assert.equal((await readVectors(db, 'text:m@1')).length, 1),
    countVectors: async () => assert.equal(await countVectors(db), 1),
    writeCachedModel: () => writeCachedModel(db, model),
    readCachedModel: async () => assert.equal((await readCachedModel(db, '/m/manifest.json'))?.version, '1'),
    deleteAdaptation: () => deleteAdaptation(db, 'ann', 'm@1'),
  };
  for (const [name, op] of Object.entries(ops)) {
    // close() on the raw connection fires no `close` event: every transaction() now throws InvalidStateError.
    (await db.get()).close();
    await assert.doesNotReject(op(), name);
  }
  await db.close();
});

test('model file paths are checked after resolution: nothing outside the manifest folder', () => {
  const manifest = 'https://cdn.example/models/m/manifest.json';
  assert.equal(resolveModelFile(manifest, 'weights.bin'), 'https://cdn.example/models/m/weights.bin');
  assert.equal(resolveModelFile(manifest, 'sub/vocab.json'), 'https://cdn.example/models/m/sub/vocab.json');
  for (const path of [
    '%2e%2e/other/weights.bin',
    '%2E%2E/%2E%2E/secret',
    '..\\other\\weights.bin',
    '\\\\evil.example\\weights.bin',
    '\t/models/other/weights.bin',
    '  /x',
    '\n//evil.example/x',
    'sub/..%2f..%2fother',
    'sub%5c..%5cother',
    'https://evil.example/models/m/weights.bin',
    '.',
  ]) {
    assert.throws(
      () => resolveModelFile(manifest, path),
      (err: unknown) => err instanceof TastebudError && err.code === 'model-integrity',
      JSON.stringify(path),
    );
  }
});

test('response bodies are read up to a limit, never whole first', async () => {
  const body = (size: number): Response => new Response(new Uint8Array(size));
  assert.equal((await readLimited(body(10), 10, 'x')).byteLength, 10);
  await assert.rejects(readLimited(body(11), 10, 'x'), (err: unknown) => err instanceof TastebudError && /allowed/.test(err.message));
  let pulled = 0;
  const endless = new ReadableStream<Uint8Array>({
    pull(controller) {
      pulled += 1;
      controller.enqueue(new Uint8Array(1024));
    },
  });
  await assert.rejects(
    readLimited(new Response(endless), 4096, 'x', 'model-integrity'),
    (err: unknown) => (err as TastebudError).code === 'model-integrity',
  );
  assert.ok(pulled < 10, `stopped reading after ${pulled} chunks`);
  const declared = new Response('tiny', { headers: { 'content-length': String(2 ** 40) } });
  await assert.rejects(readLimited(declared, 4096, 'x'), /Content-Length/);
});

test('event values and times are bounded: no overflow to Infinity, no profile window pinned in the future', () => {
  const rejects = (event: object, field: string): void =>
    assert.throws(
      () => validateEvents(event),
      (err: unknown) => err instanceof TastebudError && err.code === 'invalid-argument' && err.field === field,
    );
  rejects({ itemId: 'a', type: 'rate', value: 1e300 }, 'event.value');
  rejects({ itemId: 'a', type: 'view', value: -(LIMITS.eventValue + 1) }, 'event.value');
  rejects({ itemId: 'a', type: 'view', at: Date.now() + 2 * LIMITS.futureMs }, 'event.at');
  rejects({ itemId: 'a', type: 'view', id: '' }, 'event.id');
  assert.equal(validateEvents({ itemId: 'a', type: 'rate', value: LIMITS.eventValue })[0]!.value, LIMITS.eventValue);
  assert.equal(validateEvents({ itemId: 'a', type: 'view', id: 'k' })[0]!.id, 'k');
  assert.throws(
    () =>
      validateExportData({
        format: 'tastebud-export',
        version: 1,
        userId: 'u',
        exportedAt: 0,
        events: [{ itemId: 'a', type: 'view', at: 8.64e15 }],
      }),
    (err: unknown) => (err as TastebudError).field === 'data.events[0].at',
  );
});
