/**
 * Item 11: forget() leaves no record of the user in any object store (checked
 * by enumerating the whole database), and the library sends nothing over the
 * network except fetching the model files it was told to load (and its own
 * code chunks): every request of a full visit is intercepted and checked.
 */
import { test, expect, uniqueDb, MOVIES } from '../fixtures';
import { recordFaults } from './fault-log';

const USER = 'privacy-user-7f3a9c';
const OTHER = 'other-user-2b8e41';

test('forget() leaves no record of the user in any store; the only requests are the model files and library code', async ({
  harness,
  backends,
}, testInfo) => {
  const dbName = uniqueDb(testInfo.title);
  const requests: Array<{ url: string; method: string; body: string | null }> = [];
  harness.context().on('request', (request) => requests.push({ url: request.url(), method: request.method(), body: request.postData() }));
  const out = await harness.evaluate(
    async ({ backends, dbName, movies, user, other }) => {
      const models = { sequence: '/models/tiny-sasrec/manifest.json', popularity: { alien: 3, up: 5 } };
      const r = await window.tastebud.createRecommender({ backends, dbName, userId: user, models });
      const o = await window.tastebud.createRecommender({ backends, dbName, userId: other, models });
      await r.upsertItems(movies);
      await r.track([
        { itemId: 'alien', type: 'like' },
        { itemId: 'up', type: 'rate', value: 4 },
        { itemId: 'heat', type: 'view' },
      ]);
      await o.track([
        { itemId: 'coco', type: 'like' },
        { itemId: 'heat', type: 'view' },
      ]);
      await r.recommend({ k: 3 });
      await r.similar('alien');
      const exported = await r.exportData();
      await r.importData(exported, { mode: 'replace' });
      // Items the sequence model knows, so adapt() stores fine-tuned weights for this user.
      await r.track([
        { itemId: 'm3', type: 'view' },
        { itemId: 'm17', type: 'view' },
        { itemId: 'm42', type: 'view' },
      ]);
      const adapted = (await r.adapt({ steps: 2 })).stored;
      await r.forget();
      const after = { history: await r.history(), info: await r.info(), other: await o.history() };
      await r.dispose();
      await o.dispose();
      // Enumerate every store of the database, keys and values.
      const db = await new Promise<IDBDatabase>((resolve, reject) => {
        const req = indexedDB.open(dbName);
        req.onsuccess = () => resolve(req.result);
        req.onerror = () => reject(req.error);
      });
      const stores: Record<string, { records: number; mentionsUser: number; mentionsOther: number }> = {};
      const read = <T>(req: IDBRequest<T>): Promise<T> =>
        new Promise((resolve, reject) => {
          req.onsuccess = () => resolve(req.result);
          req.onerror = () => reject(req.error);
        });
      for (const name of Array.from(db.objectStoreNames)) {
        const store = db.transaction(name).objectStore(name);
        const [keys, values] = await Promise.all([read(store.getAllKeys()), read(store.getAll())]);
        const texts = values.map((v, i) => JSON.stringify([keys[i], v]));
        stores[name] = {
          records: values.length,
          mentionsUser: texts.filter((t) => t.includes(user)).length,
          mentionsOther: texts.filter((t) => t.includes(other)).length,
        };
      }
      db.close();
      return { exported: exported.events.length, adapted, after, stores };
    },
    { backends, dbName, movies: MOVIES, user: USER, other: OTHER },
  );
  expect(out.exported).toBe(3);
  expect(out.adapted).toBe(true);
  expect(out.after.history).toEqual([]);
  expect(out.after.info.counts.userEvents).toBe(0);
  expect(out.after.other).toHaveLength(2);
  expect(Object.keys(out.stores).sort()).toEqual([
    'adaptations',
    'events',
    'items',
    'meta',
    'models',
    'profiles',
    'vector-snapshots',
    'vectors',
  ]);
  expect(out.stores.adaptations!.records).toBe(0);
  for (const [name, store] of Object.entries(out.stores)) expect(store.mentionsUser, `records of ${USER} left in "${name}"`).toBe(0);
  expect(out.stores.events!.mentionsOther).toBe(2);
  expect(out.stores.models!.records).toBe(1);

  const origin = new URL(harness.url()).origin;
  const modelFiles = requests.filter((r) => r.url.startsWith(`${origin}/models/`));
  const code = requests.filter((r) => r.url.startsWith(`${origin}/assets/`) && r.url.endsWith('.js'));
  const other = requests.filter((r) => !modelFiles.includes(r) && !code.includes(r));
  expect(other, 'requests other than model files and library code').toEqual([]);
  for (const r of requests) {
    expect(r.method, r.url).toBe('GET');
    expect(r.body, r.url).toBeNull();
    expect(r.url, 'no user data in a URL').not.toMatch(new RegExp(`${USER}|${OTHER}|alien|heat`));
  }
  expect(new Set(modelFiles.map((r) => new URL(r.url).pathname.split('/').slice(0, 3).join('/')))).toEqual(
    new Set(['/models/tiny-sasrec']),
  );
  expect(modelFiles.map((r) => r.url).some((u) => u.endsWith('/manifest.json'))).toBe(true);
  testInfo.annotations.push({ type: 'requests', description: requests.map((r) => `${r.method} ${new URL(r.url).pathname}`).join(', ') });
  recordFaults(testInfo, { checks: 1, acknowledged: 2, found: out.after.other.length });
});
