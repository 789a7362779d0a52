import { test, expect, uniqueDb, MOVIES, POPULARITY, COOCCURRENCE } from './fixtures';

test('chooses the expected backend and reports every attempt', async ({ harness, backends, expectedBackend }, testInfo) => {
  const info = await harness.evaluate(
    async ({ backends, dbName }) => {
      const r = await window.tastebud.createRecommender({ backends, dbName });
      const info = await r.info();
      await r.dispose();
      return info;
    },
    { backends, dbName: uniqueDb(testInfo.title) },
  );
  expect(info.backend).toBe(expectedBackend);
  expect(info.backendsTried.at(-1)).toMatchObject({ name: expectedBackend, ok: true });
  for (const attempt of info.backendsTried.slice(0, -1)) expect(attempt.reason).toBeTruthy();
});

test('records events and recommends with reasons', async ({ harness, backends, expectedBackend }, testInfo) => {
  const result = await harness.evaluate(
    async ({ backends, dbName, movies, popularity, cooccurrence }) => {
      const r = await window.tastebud.createRecommender({ backends, dbName, models: { popularity, cooccurrence } });
      await r.upsertItems(movies);
      const cold = await r.recommend({ k: 3 });
      await r.track([{ itemId: 'alien', type: 'like' }]);
      const warm = await r.recommend({ k: 3 });
      const similar = await r.similar('up', { k: 2 });
      const history = await r.history();
      const info = await r.info();
      await r.dispose();
      return { cold, warm, similar, history, info };
    },
    { backends, dbName: uniqueDb(testInfo.title), movies: MOVIES, popularity: POPULARITY, cooccurrence: COOCCURRENCE },
  );
  expect(result.info.backend).toBe(expectedBackend);
  expect(result.cold.map((r) => r.itemId)).toEqual(['titanic', 'up', 'heat']);
  expect(result.cold[0]!.reasons[0]).toMatchObject({ source: 'popular', text: 'Popular on this site' });
  expect(result.warm[0]!.itemId).toBe('aliens');
  expect(result.warm[0]!.reasons[0]).toMatchObject({ source: 'co-occurrence', text: 'Because you liked Alien', itemIds: ['alien'] });
  expect(result.warm.map((r) => r.itemId)).not.toContain('alien');
  expect(result.similar[0]).toMatchObject({ itemId: 'coco' });
  expect(result.history).toHaveLength(1);
  expect(result.info.counts).toMatchObject({ items: 8, userEvents: 1 });
});
