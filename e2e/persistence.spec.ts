import { test, expect, uniqueDb, MOVIES, POPULARITY, COOCCURRENCE } from './fixtures';

test('history and recommendations survive a reload', async ({ harness, backends, expectedBackend }, testInfo) => {
  const dbName = uniqueDb(testInfo.title);
  const args = { backends, dbName, movies: MOVIES, popularity: POPULARITY, cooccurrence: COOCCURRENCE };
  const before = await harness.evaluate(async ({ backends, dbName, movies, popularity, cooccurrence }) => {
    const r = await window.tastebud.createRecommender({ backends, dbName, models: { popularity, cooccurrence } });
    await r.upsertItems(movies);
    await r.track([
      { itemId: 'notebook', type: 'like', at: 1000 },
      { itemId: 'heat', type: 'dislike', at: 2000 },
    ]);
    const out = { history: await r.history(), recs: await r.recommend({ k: 4 }) };
    await r.dispose();
    return out;
  }, args);
  await harness.reload();
  await expect(harness.locator('#status')).toHaveText('ready');
  const after = await harness.evaluate(async ({ backends, dbName, popularity, cooccurrence }) => {
    const r = await window.tastebud.createRecommender({ backends, dbName, models: { popularity, cooccurrence } });
    const out = { history: await r.history(), recs: await r.recommend({ k: 4 }), info: await r.info() };
    await r.dispose();
    return out;
  }, args);
  expect(after.info.backend).toBe(expectedBackend);
  expect(after.history).toEqual(before.history);
  expect(after.recs).toEqual(before.recs);
  expect(after.recs[0]!.itemId).toBe('titanic');
  expect(after.recs[0]!.reasons[0]).toMatchObject({ source: 'co-occurrence', text: 'Because you liked The Notebook' });
  expect(after.recs.map((r) => r.itemId)).not.toContain('heat');
});

test('profiles on one origin are isolated; forget removes only one', async ({ harness, backends }, testInfo) => {
  const out = await harness.evaluate(
    async ({ backends, dbName }) => {
      const ann = await window.tastebud.createRecommender({ backends, dbName, userId: 'ann' });
      const bob = await window.tastebud.createRecommender({ backends, dbName, userId: 'bob' });
      await ann.track({ itemId: 'a', type: 'like' });
      await bob.track([
        { itemId: 'b', type: 'like' },
        { itemId: 'c', type: 'view' },
      ]);
      const annHistory = await ann.history();
      const bobHistory = await bob.history();
      await ann.forget();
      const afterForget = { ann: await ann.history(), bob: await bob.history() };
      await ann.dispose();
      await bob.dispose();
      return { annHistory, bobHistory, afterForget };
    },
    { backends, dbName: uniqueDb(testInfo.title) },
  );
  expect(out.annHistory.map((e) => e.itemId)).toEqual(['a']);
  expect(out.bobHistory.map((e) => e.itemId).sort()).toEqual(['b', 'c']);
  expect(out.afterForget.ann).toEqual([]);
  expect(out.afterForget.bob).toHaveLength(2);
});

test('export → forget → import restores history and recommendations', async ({ harness, backends }, testInfo) => {
  const out = await harness.evaluate(
    async ({ backends, dbName, movies, cooccurrence }) => {
      const r = await window.tastebud.createRecommender({ backends, dbName, models: { cooccurrence } });
      await r.upsertItems(movies);
      await r.track([
        { itemId: 'alien', type: 'like', at: 1 },
        { itemId: 'up', type: 'rate', value: 5, at: 2 },
      ]);
      const recs = await r.recommend({ k: 3 });
      const exported = JSON.parse(JSON.stringify(await r.exportData()));
      await r.forget();
      const empty = await r.history();
      const merged = await r.importData(exported);
      const again = await r.importData(exported, { mode: 'merge' });
      const restored = { history: await r.history(), recs: await r.recommend({ k: 3 }) };
      await r.dispose();
      return { exported, recs, empty, merged, again, restored };
    },
    { backends, dbName: uniqueDb(testInfo.title), movies: MOVIES, cooccurrence: COOCCURRENCE },
  );
  expect(out.exported).toMatchObject({ format: 'tastebud-export', version: 1, userId: 'default' });
  expect(out.empty).toEqual([]);
  expect(out.merged).toEqual({ imported: 2, skippedDuplicates: 0 });
  expect(out.again).toEqual({ imported: 0, skippedDuplicates: 2 });
  expect(out.restored.history).toEqual([...out.exported.events].reverse());
  expect(out.restored.recs).toEqual(out.recs);
});

test('two tabs track concurrently without losing an event and see each other', async ({ harness, backends }, testInfo) => {
  const dbName = uniqueDb(testInfo.title);
  const second = await harness.context().newPage();
  await second.goto('/');
  await expect(second.locator('#status')).toHaveText('ready');
  const run = (page: typeof harness, tab: string) =>
    page.evaluate(
      async ({ backends, dbName, tab }) => {
        const r = await window.tastebud.createRecommender({ backends, dbName });
        const calls = [];
        for (let i = 0; i < 50; i++) calls.push(r.track({ itemId: `${tab}-${i}`, type: 'view' }));
        await Promise.all(calls);
        await r.dispose();
      },
      { backends, dbName, tab },
    );
  await Promise.all([run(harness, 'a'), run(second, 'b')]);
  const seen = await second.evaluate(
    async ({ backends, dbName }) => {
      const r = await window.tastebud.createRecommender({ backends, dbName });
      const out = { history: await r.history({ limit: 1000 }), info: await r.info() };
      await r.dispose();
      return out;
    },
    { backends, dbName },
  );
  expect(seen.info.counts.userEvents).toBe(100);
  expect(new Set(seen.history.map((e) => e.itemId)).size).toBe(100);
  await second.close();
});
