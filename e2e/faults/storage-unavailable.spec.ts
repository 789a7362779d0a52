/**
 * Item 5: IndexedDB cannot be used (some private modes). The fault agent breaks
 * it inside the worker before the engine starts.
 */
import { test, expect, uniqueDb, MOVIES } from '../fixtures';
import { recordFaults } from './fault-log';

for (const startup of ['idb-open-throws', 'idb-missing'] as const) {
  test(`storage unavailable (${startup}): a clear storage-unavailable error by default, and storage: 'memory' works when the caller opts in`, async ({
    harness,
    backends,
  }, testInfo) => {
    const dbName = uniqueDb(testInfo.title);
    const out = await harness.evaluate(
      async ({ backends, dbName, movies, startup }) => {
        window.faultAgent = { startup: [startup] };
        const refused = await window.tastebud.createRecommender({ backends, dbName }).then(
          () => null,
          (err: { code: string; message: string; constructor: unknown }) => ({
            code: err.code,
            message: err.message,
            isClass: err instanceof window.tastebud.TastebudError,
          }),
        );
        const r = await window.tastebud.createRecommender({ backends, dbName, storage: 'memory' });
        await r.upsertItems(movies);
        await r.track([
          { itemId: 'alien', type: 'like', at: 1 },
          { itemId: 'up', type: 'view', at: 2 },
        ]);
        const recs = await r.recommend({ k: 3 });
        const history = await r.history();
        const exported = await r.exportData();
        const info = await r.info();
        await r.dispose();
        // Honest about what memory mode is: a new recommender starts empty.
        const again = await window.tastebud.createRecommender({ backends, dbName, storage: 'memory' });
        const afterRestart = await again.history();
        await again.dispose();
        window.faultAgent = undefined;
        // Nothing was written to the real IndexedDB under that name.
        const realDatabases = (await indexedDB.databases()).map((d) => d.name);
        return {
          refused,
          recs: recs.length,
          history: history.map((e) => e.itemId),
          exported: exported.events.length,
          info,
          afterRestart,
          realDatabases,
        };
      },
      { backends, dbName, movies: MOVIES, startup },
    );
    expect(out.refused).toMatchObject({ code: 'storage-unavailable', isClass: true });
    expect(out.refused!.message).toMatch(/storage: 'memory'/);
    expect(out.info.storageMode).toBe('memory');
    expect(out.info.counts).toMatchObject({ items: 8, userEvents: 2 });
    expect(out.recs).toBe(3);
    expect(out.history).toEqual(['up', 'alien']);
    expect(out.exported).toBe(2);
    expect(out.afterRestart).toEqual([]);
    expect(out.realDatabases).not.toContain(dbName);
    recordFaults(testInfo, { targeted: 1 });
  });
}

test("storage: 'indexeddb' is the default and info() reports the mode", async ({ harness, backends }, testInfo) => {
  const info = await harness.evaluate(
    async ({ backends, dbName }) => {
      const r = await window.tastebud.createRecommender({ backends, dbName });
      const info = await r.info();
      await r.dispose();
      return info;
    },
    { backends, dbName: uniqueDb(testInfo.title) },
  );
  expect(info.storageMode).toBe('indexeddb');
  expect(info.backendSwitches).toEqual([]);
});
