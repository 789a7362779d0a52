/**
 * Races and timing: a write that outlasts its timeout and is retried, calls at
 * any moment of a recommender's life with any value. Backend independent: the
 * recommenders here run on cpu.
 */
import { test, expect, uniqueDb, MOVIES } from '../fixtures';
import { recordFaults } from './fault-log';
import { ERROR_CODES as ALL_ERROR_CODES } from '../../common/errors';

/** Every documented code a caller may see; `internal` would mean a tastebud bug. */
const ERROR_CODES: readonly string[] = ALL_ERROR_CODES.filter((code) => code !== 'internal');

test('a track() / importData() that outlasts timeoutMs may commit later; retrying with the same event ids stores each event once', async ({
  harness,
}, testInfo) => {
  const out = await harness.evaluate(
    async ({ dbName }) => {
      const timeoutMs = 1_500;
      const r = await window.tastebud.createRecommender({ backends: ['cpu'], dbName, timeoutMs });
      await r.track({ itemId: 'warm-up', type: 'view', at: 1, id: 'warm-up' });
      // Another connection keeps a readwrite transaction on `events` busy for longer than timeoutMs.
      const other = await new Promise<IDBDatabase>((resolve, reject) => {
        const open = indexedDB.open(dbName);
        open.onsuccess = () => resolve(open.result);
        open.onerror = () => reject(open.error);
      });
      const hold = (ms: number): Promise<void> =>
        new Promise((resolve) => {
          const tx = other.transaction('events', 'readwrite');
          const until = performance.now() + ms;
          const spin = (): void => {
            if (performance.now() < until) tx.objectStore('events').count().onsuccess = spin;
          };
          spin();
          tx.oncomplete = () => resolve();
        });
      const batch = [
        { itemId: 'alien', type: 'like' as const, at: 2, id: 'evt-1' },
        { itemId: 'up', type: 'like' as const, at: 3, id: 'evt-2' },
      ];
      const file = {
        format: 'tastebud-export' as const,
        version: 1 as const,
        userId: 'default',
        exportedAt: 0,
        events: [
          { itemId: 'coco', type: 'view' as const, at: 4, id: 'imp-1' },
          { itemId: 'heat', type: 'view' as const, at: 5, id: 'imp-2' },
        ],
      };
      const held = hold(4 * timeoutMs);
      const code = (p: Promise<unknown>): Promise<string> =>
        p.then(
          () => 'resolved',
          (err: { code?: string }) => err.code ?? String(err),
        );
      const first = await Promise.all([code(r.track(batch)), code(r.importData(file))]);
      await held;
      const retried = await r.track(batch);
      const reimported = await r.importData(file);
      other.close();
      const exported = await r.exportData();
      const info = await r.info();
      await r.dispose();
      const ids = exported.events.map((e) => e.id).filter((id) => id !== 'warm-up');
      return { first, retried, reimported, ids, userEvents: info.counts.userEvents, restarts: info.workerRestarts };
    },
    { dbName: uniqueDb(testInfo.title) },
  );
  expect(out.first).toEqual(['timeout', 'timeout']);
  expect(out.retried).toEqual({ stored: 2 });
  // The timed-out import committed when the other transaction ended: the retry finds every event there.
  expect(out.reimported).toEqual({ imported: 0, skippedDuplicates: 2 });
  expect(out.ids.sort()).toEqual(['evt-1', 'evt-2', 'imp-1', 'imp-2']);
  expect(out.userEvents).toBe(5);
  expect(out.restarts).toBe(0);
  recordFaults(testInfo, { targeted: 2, acknowledged: 4, found: out.ids.length });
});

test('any call at any time: hostile values, calls racing dispose() and after it reject with a documented TastebudError, never internal, never a hang', async ({
  harness,
}, testInfo) => {
  const out = await harness.evaluate(
    async ({ dbName, movies, codes }) => {
      const { createRecommender, TastebudError } = window.tastebud;
      const settle = (p: Promise<unknown>): Promise<string> =>
        Promise.race([
          p.then(
            () => 'resolved',
            (err: unknown) =>
              err instanceof TastebudError && codes.includes(err.code) ? err.code : `foreign: ${String((err as Error)?.stack ?? err)}`,
          ),
          new Promise<string>((resolve) => setTimeout(() => resolve('hang'), 15_000)),
        ]);
      const r = await createRecommender({ backends: ['cpu'], dbName, timeoutMs: 10_000 });
      await r.upsertItems(movies);
      const throwing = {
        get itemId(): string {
          throw new Error('a getter that throws');
        },
        type: 'view',
      };
      const trap = new Proxy(
        {},
        {
          ownKeys() {
            throw new Error('a proxy trap that throws');
          },
          get() {
            throw new Error('a proxy trap that throws');
          },
        },
      );
      const any = r as unknown as Record<string, (...args: unknown[]) => Promise<unknown>>;
      const hostile: Record<string, string> = {};
      const values: Record<string, unknown> = { trap, symbol: Symbol('s'), fn: () => 1, bigint: 10n };
      for (const method of ['track', 'recommend', 'similar', 'search', 'history', 'upsertItems', 'removeItems', 'importData', 'adapt']) {
        for (const [name, value] of Object.entries(values)) hostile[`${method}(${name})`] = await settle(any[method]!(value));
      }
      hostile['track(a getter that throws)'] = await settle(any.track!(throwing));
      hostile['upsertItems(a getter that throws)'] = await settle(
        any.upsertItems!([
          {
            id: 'x',
            get meta() {
              throw new Error('boom');
            },
          },
        ]),
      );
      const calls = (): Array<[string, Promise<unknown>]> => [
        ['track', r.track({ itemId: 'alien', type: 'like' })],
        ['recommend', r.recommend({ k: 3 })],
        ['similar', r.similar('alien')],
        ['search', r.search('space')],
        ['history', r.history()],
        ['upsertItems', r.upsertItems([{ id: 'late' }])],
        ['removeItems', r.removeItems(['late'])],
        ['exportData', r.exportData()],
        ['importData', r.importData({ format: 'tastebud-export', version: 1, userId: 'default', exportedAt: 0, events: [] })],
        ['forget', r.forget()],
        ['adapt', r.adapt()],
        ['resetAdaptation', r.resetAdaptation()],
        ['info', r.info()],
      ];
      // Settled as soon as they are made, so no rejection is ever unhandled while dispose() runs.
      const settled = (list: Array<[string, Promise<unknown>]>): Array<[string, Promise<string>]> =>
        list.map(([name, p]) => [name, settle(p)]);
      const racing = settled(calls());
      const disposing = r.dispose();
      const during = settled(calls());
      await disposing;
      const after = settled(calls());
      const outcome = async (list: Array<[string, Promise<string>]>): Promise<Record<string, string>> =>
        Object.fromEntries(await Promise.all(list.map(async ([name, p]) => [name, await p] as const)));
      return {
        hostile,
        racing: await outcome(racing),
        during: await outcome(during),
        after: await outcome(after),
        disposeAgain: await settle(r.dispose()),
      };
    },
    { dbName: uniqueDb(testInfo.title), movies: MOVIES, codes: ERROR_CODES },
  );
  for (const [call, outcome] of Object.entries(out.hostile)) expect(outcome, call).toBe('invalid-argument');
  // Calls already under way when dispose() starts may finish; none may fail any other way.
  for (const [call, outcome] of Object.entries(out.racing)) expect(['resolved', ...ERROR_CODES], call).toContain(outcome);
  for (const [call, outcome] of Object.entries(out.during)) expect(outcome, call).toBe('disposed');
  for (const [call, outcome] of Object.entries(out.after)) expect(outcome, call).toBe('disposed');
  expect(out.disposeAgain).toBe('resolved');
  recordFaults(testInfo, { targeted: Object.keys(out.hostile).length + 3 * 13 });
});
