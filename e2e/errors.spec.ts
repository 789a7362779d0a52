import { test, expect, uniqueDb, MOVIES } from './fixtures';

test('bad input rejects with TastebudError naming the field, and writes nothing', async ({ harness, backends }, testInfo) => {
  const out = await harness.evaluate(
    async ({ backends, dbName }) => {
      const { createRecommender, TastebudError } = window.tastebud;
      const r = await createRecommender({ backends, dbName });
      const attempts: Array<() => Promise<unknown>> = [
        () =>
          r.track([
            { itemId: 'ok', type: 'like' },
            { itemId: '', type: 'like' },
          ]),
        () => r.track({ itemId: 'x', type: 'love' as 'like' }),
        () => r.recommend({ k: 0 }),
        () => r.upsertItems([{ id: 'a', meta: { bad: Number.NaN } }]),
        () => r.similar('x'.repeat(600)),
        () => r.importData({ format: 'nope' } as never),
      ];
      const errors = [];
      for (const attempt of attempts) {
        try {
          await attempt();
          errors.push(null);
        } catch (err) {
          errors.push({
            isClass: err instanceof TastebudError,
            code: (err as InstanceType<typeof TastebudError>).code,
            field: (err as InstanceType<typeof TastebudError>).field,
          });
        }
      }
      const badOptions = await createRecommender({ backends: ['nope' as 'cpu'] }).then(
        () => null,
        (err: InstanceType<typeof TastebudError>) => ({ code: err.code, field: err.field }),
      );
      const info = await r.info();
      await r.dispose();
      return { errors, badOptions, counts: info.counts };
    },
    { backends, dbName: uniqueDb(testInfo.title) },
  );
  expect(out.errors).toEqual([
    { isClass: true, code: 'invalid-argument', field: 'events[1].itemId' },
    { isClass: true, code: 'invalid-argument', field: 'event.type' },
    { isClass: true, code: 'invalid-argument', field: 'options.k' },
    { isClass: true, code: 'invalid-argument', field: 'items[0].meta.bad' },
    { isClass: true, code: 'invalid-argument', field: 'itemId' },
    { isClass: true, code: 'invalid-argument', field: 'data.format' },
  ]);
  expect(out.badOptions).toEqual({ code: 'invalid-argument', field: 'options.backends[0]' });
  expect(out.counts.userEvents).toBe(0);
  expect(out.counts.items).toBe(0);
});

test('errors raised in the worker keep their class and code', async ({ harness, backends }, testInfo) => {
  const out = await harness.evaluate(
    async ({ backends, dbName }) => {
      const r = await window.tastebud.createRecommender({ backends, dbName });
      try {
        await r.similar('not-in-catalog');
        return null;
      } catch (err) {
        const e = err as InstanceType<typeof window.tastebud.TastebudError>;
        return { isClass: err instanceof window.tastebud.TastebudError, code: e.code, field: e.field, message: e.message };
      } finally {
        await r.dispose();
      }
    },
    { backends, dbName: uniqueDb(testInfo.title) },
  );
  expect(out).toMatchObject({ isClass: true, code: 'not-found', field: 'itemId' });
});

test('a dead worker rejects pending calls at once, restarts, and loses no acknowledged event', async ({ harness, backends }, testInfo) => {
  const out = await harness.evaluate(
    async ({ backends, dbName, movies }) => {
      const r = await window.tastebud.createRecommender({ backends, dbName, timeoutMs: 60_000 });
      await r.upsertItems(movies);
      await r.track([
        { itemId: 'alien', type: 'like', at: 1 },
        { itemId: 'up', type: 'like', at: 2 },
      ]);
      const events = Array.from({ length: 200_000 }, (_, i) => ({ itemId: `i${i}`, type: 'view' as const, at: 10 + i }));
      const started = performance.now();
      const pending = r.importData({ format: 'tastebud-export', version: 1, userId: 'default', exportedAt: 0, events }).then(
        () => ({ code: 'resolved' }),
        (err: { code: string }) => ({ code: err.code }),
      );
      await new Promise((resolve) => setTimeout(resolve, 50));
      window.workers.at(-1)!.terminate();
      const rejected = await pending;
      const rejectMs = performance.now() - started;
      const history = await r.history();
      const info = await r.info();
      await r.dispose();
      return { rejected, rejectMs, history: history.map((e) => e.itemId), restarts: info.workerRestarts };
    },
    { backends, dbName: uniqueDb(testInfo.title), movies: MOVIES },
  );
  expect(out.rejected).toEqual({ code: 'worker-crashed' });
  expect(out.rejectMs).toBeLessThan(10_000);
  expect(out.history.slice(-2)).toEqual(['up', 'alien']);
  expect(out.restarts).toBe(1);
});

test('a call that runs past timeoutMs rejects with code timeout', async ({ harness, backends }, testInfo) => {
  const out = await harness.evaluate(
    async ({ backends, dbName }) => {
      const r = await window.tastebud.createRecommender({ backends, dbName, timeoutMs: 60_000 });
      await r.dispose();
      const quick = await window.tastebud.createRecommender({ backends, dbName, timeoutMs: 100 }).catch((err: { code: string }) => err);
      if (!('track' in quick)) return { startup: quick.code };
      const events = Array.from({ length: 300_000 }, (_, i) => ({ itemId: `i${i}`, type: 'view' as const, at: i }));
      const result = await quick.importData({ format: 'tastebud-export', version: 1, userId: 'default', exportedAt: 0, events }).then(
        () => 'resolved',
        (err: { code: string }) => err.code,
      );
      await quick.dispose();
      return { result };
    },
    { backends, dbName: uniqueDb(testInfo.title) },
  );
  // With a 100 ms budget even start-up may time out on a slow backend; both are the timeout path.
  expect(['timeout']).toContain(out.result ?? out.startup);
});

test('tensor count does not grow over 1,000 recommend() calls', async ({ harness, backends }, testInfo) => {
  test.setTimeout(180_000);
  const out = await harness.evaluate(
    async ({ backends, dbName, movies }) => {
      const r = await window.tastebud.createRecommender({ backends, dbName });
      await r.upsertItems(movies);
      await r.track({ itemId: 'alien', type: 'like' });
      await r.recommend({ k: 3 });
      const before = (await r.info()).memory.tensors;
      for (let i = 0; i < 1000; i++) await r.recommend({ k: 3, diversity: i % 2 ? 0.5 : 0 });
      const after = (await r.info()).memory.tensors;
      await r.dispose();
      return { before, after };
    },
    { backends, dbName: uniqueDb(testInfo.title), movies: MOVIES },
  );
  expect(out.after).toBe(out.before);
});
