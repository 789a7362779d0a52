/**
 * Item 4 (beyond e2e/persistence.spec.ts and e2e/storage.spec.ts): two live
 * tabs on one database. Concurrent writes lose nothing, each tab's recommender
 * sees the other's events and catalog changes without a reload, and a newer
 * schema opened in one tab does not surface errors in the other.
 */
import { test, expect, uniqueDb, MOVIES, COOCCURRENCE } from '../fixtures';
import { recordFaults } from './fault-log';

test('two live tabs: exact counts under concurrent track(), each sees the other at once, versionchange is silent', async ({
  harness,
  backends,
}, testInfo) => {
  const dbName = uniqueDb(testInfo.title);
  const tabB = await harness.context().newPage();
  const errorsB: string[] = [];
  tabB.on('pageerror', (err) => errorsB.push(err.message));
  await tabB.goto('/');
  await expect(tabB.locator('#status')).toHaveText('ready');
  const open = (page: typeof harness) =>
    page.evaluate(
      async ({ backends, dbName, cooccurrence }) => {
        (window as unknown as { rec: unknown }).rec = await window.tastebud.createRecommender({
          backends,
          dbName,
          models: { cooccurrence },
        });
      },
      { backends, dbName, cooccurrence: COOCCURRENCE },
    );
  await Promise.all([open(harness), open(tabB)]);
  type Rec = Awaited<ReturnType<typeof window.tastebud.createRecommender>>;
  const burst = (page: typeof harness, tab: string) =>
    page.evaluate(async (tab) => {
      const rec = (window as unknown as { rec: Rec }).rec;
      const calls = [];
      for (let i = 0; i < 100; i++)
        calls.push(
          rec.track(
            i % 10
              ? { itemId: `${tab}-${i}`, type: 'view' }
              : [
                  { itemId: `${tab}-${i}`, type: 'view' },
                  { itemId: `${tab}-${i}b`, type: 'click' },
                ],
          ),
        );
      return (await Promise.all(calls)).reduce((sum, r) => sum + r.stored, 0);
    }, tab);
  const [storedA, storedB] = await Promise.all([burst(harness, 'a'), burst(tabB, 'b')]);
  const counted = await tabB.evaluate(async () => {
    const rec = (window as unknown as { rec: Rec }).rec;
    const history = await rec.history({ limit: 1000 });
    // Builds tab B's in-memory catalog (empty) now, so the next step proves it is invalidated across tabs.
    const before = await rec.recommend({ k: 1 });
    return {
      userEvents: (await rec.info()).counts.userEvents,
      distinct: new Set(history.map((e) => e.itemId)).size,
      before: before.length,
    };
  });

  // Tab A adds the catalog and a like; tab B's live recommender sees both without reloading.
  await harness.evaluate(async (movies) => {
    const rec = (window as unknown as { rec: Rec }).rec;
    await rec.upsertItems(movies);
    await rec.forget();
    await rec.track({ itemId: 'alien', type: 'like' });
  }, MOVIES);
  const seenByB = await tabB.evaluate(async () => {
    const rec = (window as unknown as { rec: Rec }).rec;
    await rec.forget();
    await rec.track({ itemId: 'notebook', type: 'like' });
    return { recs: await rec.recommend({ k: 1 }), info: await rec.info() };
  });
  const seenByA = await harness.evaluate(async () => {
    const rec = (window as unknown as { rec: Rec }).rec;
    return { recs: await rec.recommend({ k: 1 }), info: await rec.info() };
  });

  // A newer schema opened from tab B: tab A's connection closes and reopens on next use, silently.
  const afterUpgrade = await tabB.evaluate(async (dbName) => {
    await new Promise<void>((resolve, reject) => {
      const req = indexedDB.open(dbName, 50);
      req.onupgradeneeded = () => req.result.createObjectStore('newer-feature');
      req.onsuccess = () => {
        req.result.close();
        resolve();
      };
      req.onerror = () => reject(req.error);
      req.onblocked = () => reject(new Error('blocked'));
    });
    const rec = (window as unknown as { rec: Rec }).rec;
    await rec.track({ itemId: 'titanic', type: 'view' });
    return (await rec.history()).map((e) => e.itemId);
  }, dbName);
  const aAfterUpgrade = await harness.evaluate(async () => {
    const rec = (window as unknown as { rec: Rec }).rec;
    await rec.track({ itemId: 'aliens', type: 'view' });
    const out = (await rec.history()).map((e) => e.itemId);
    await rec.dispose();
    return out;
  });
  await tabB.evaluate(async () => (window as unknown as { rec: Rec }).rec.dispose());
  await tabB.close();

  expect(storedA).toBe(110);
  expect(storedB).toBe(110);
  expect(counted).toEqual({ userEvents: 220, distinct: 220, before: 0 });
  // Both tabs share the default userId: one history, 220 events, all stored before the forget().
  expect(seenByB.info.counts.items).toBe(MOVIES.length);
  expect(seenByB.recs[0]!.itemId).toBe('titanic');
  expect(seenByA.recs[0]!.itemId).toBe('titanic');
  expect(seenByA.info.counts.userEvents).toBe(1);
  expect(afterUpgrade).toEqual(['titanic', 'notebook']);
  expect(aAfterUpgrade).toEqual(['aliens', 'titanic', 'notebook']);
  expect(errorsB).toEqual([]);
  recordFaults(testInfo, { targeted: 2, acknowledged: 220, found: counted.userEvents });
});
