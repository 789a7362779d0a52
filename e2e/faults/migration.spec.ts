/**
 * Item 12 in the browser (the unit test in test/storage.test.ts does it on
 * fake-indexeddb): a database written by the first released schema, with data,
 * upgrades to the current one in Chromium's IndexedDB with nothing lost.
 */
import { test, expect, uniqueDb, MOVIES, COOCCURRENCE } from '../fixtures';
import { recordFaults } from './fault-log';

test('a schema-1 database with data upgrades to the current schema with nothing lost', async ({ harness, backends }, testInfo) => {
  const out = await harness.evaluate(
    async ({ backends, dbName, movies, cooccurrence }) => {
      const done = <T>(req: IDBRequest<T>): Promise<T> =>
        new Promise((resolve, reject) => {
          req.onsuccess = () => resolve(req.result);
          req.onerror = () => reject(req.error);
        });
      // Schema 1 exactly as first released (workers/storage/db.ts, schema history).
      const v1 = await new Promise<IDBDatabase>((resolve, reject) => {
        const req = indexedDB.open(dbName, 1);
        req.onupgradeneeded = () => {
          const db = req.result;
          db.createObjectStore('items', { keyPath: 'id' });
          db.createObjectStore('events', { keyPath: 'seq', autoIncrement: true }).createIndex('by-user-time', ['userId', 'at']);
          db.createObjectStore('profiles', { keyPath: 'userId' });
        };
        req.onsuccess = () => resolve(req.result);
        req.onerror = () => reject(req.error);
      });
      const tx = v1.transaction(['items', 'events', 'profiles'], 'readwrite');
      for (const m of movies)
        tx.objectStore('items').put({ id: m.id, text: m.text, tags: m.tags, meta: m.meta, contentHash: `v1-${m.id}`, updatedAt: 1 });
      const written = [
        { userId: 'default', itemId: 'alien', type: 'like', at: 100 },
        { userId: 'default', itemId: 'up', type: 'rate', value: 5, at: 200 },
        { userId: 'default', itemId: 'heat', type: 'dislike', at: 300 },
        { userId: 'ann', itemId: 'notebook', type: 'like', at: 150 },
      ];
      for (const e of written) tx.objectStore('events').add(e);
      tx.objectStore('profiles').put({ userId: 'default', createdAt: 1, updatedAt: 300 });
      tx.objectStore('profiles').put({ userId: 'ann', createdAt: 1, updatedAt: 150 });
      await new Promise((resolve, reject) => {
        tx.oncomplete = resolve;
        tx.onerror = () => reject(tx.error);
      });
      v1.close();

      const r = await window.tastebud.createRecommender({ backends, dbName, models: { cooccurrence } });
      const ann = await window.tastebud.createRecommender({ backends, dbName, userId: 'ann' });
      const history = await r.history();
      const annHistory = await ann.history();
      const recs = await r.recommend({ k: 2 });
      const exported = await r.exportData();
      await r.track({ itemId: 'coco', type: 'view', at: 400 });
      const info = await r.info();
      await r.dispose();
      await ann.dispose();
      const db = await done(indexedDB.open(dbName));
      const out = {
        version: db.version,
        stores: Array.from(db.objectStoreNames).sort(),
        eventIndexes: Array.from(db.transaction('events').objectStore('events').indexNames).sort(),
        profiles: (await done(db.transaction('profiles').objectStore('profiles').getAll())).length,
      };
      db.close();
      return { history, annHistory, recs, exported, info, ...out };
    },
    { backends, dbName: uniqueDb(testInfo.title), movies: MOVIES, cooccurrence: COOCCURRENCE },
  );
  expect(out.version).toBe(5);
  expect(out.eventIndexes).toEqual(['by-id', 'by-user-item', 'by-user-time']);
  expect(out.stores).toEqual(['adaptations', 'events', 'items', 'meta', 'models', 'profiles', 'vector-snapshots', 'vectors']);
  expect(out.history).toEqual([
    { itemId: 'heat', type: 'dislike', at: 300 },
    { itemId: 'up', type: 'rate', value: 5, at: 200 },
    { itemId: 'alien', type: 'like', at: 100 },
  ]);
  expect(out.annHistory).toEqual([{ itemId: 'notebook', type: 'like', at: 150 }]);
  expect(out.exported.events).toHaveLength(3);
  expect(out.info.counts).toMatchObject({ items: MOVIES.length, events: 5, userEvents: 4 });
  expect(out.profiles).toBe(2);
  // The new by-user-item index covers the old rows: seen items are excluded; the old rating and like drive the results.
  expect(out.recs.map((x) => x.itemId)).toEqual(['coco', 'aliens']);
  expect(out.recs[0]!.reasons[0]).toMatchObject({ source: 'co-occurrence', itemIds: ['up'] });
  expect(out.recs[1]!.reasons[0]).toMatchObject({ source: 'co-occurrence', itemIds: ['alien'] });
  recordFaults(testInfo, { checks: 1, acknowledged: 4, found: out.history.length + out.annHistory.length });
});
