/**
 * Item 8: property-based fuzzing of the public API (fast-check, fixed seed and
 * run count). Commands are generated in Node and run in the page on one
 * recommender: every rejection must be a TastebudError, the worker never
 * restarts, and the stored event count always equals what the calls reported.
 */
import fc from 'fast-check';
import { test, expect, uniqueDb, MOVIES } from '../fixtures';
import { recordFaults } from './fault-log';

const SEED = 20_261_124;
const RUNS = 60;

const ids = fc.constantFrom('alien', 'aliens', 'up', 'coco', 'heat', 'unknown-item', '', 'a\u0000b', 'x'.repeat(513));
const eventType = fc.constantFrom('view', 'click', 'like', 'dislike', 'rate', 'purchase', 'skip', 'love', '');
const number = fc.oneof(
  fc.integer({ min: -5, max: 2_000 }),
  fc.double(),
  fc.constantFrom(Number.NaN, Number.POSITIVE_INFINITY, -0, 1e6, -1e6, 3.4e38, 1e308, Date.now() + 86_000_000),
);
const wild = fc.anything({ maxDepth: 2, maxKeys: 4 });
const event = fc.record(
  {
    itemId: fc.oneof(ids, wild),
    type: fc.oneof(eventType, wild),
    value: fc.option(number, { nil: undefined }),
    at: fc.option(number, { nil: undefined }),
  },
  { requiredKeys: ['itemId', 'type'] },
);
const item = fc.record(
  {
    id: fc.oneof(ids, wild),
    text: fc.option(fc.string({ maxLength: 60 }), { nil: undefined }),
    tags: fc.option(fc.array(fc.oneof(fc.string({ maxLength: 8 }), wild), { maxLength: 3 }), { nil: undefined }),
    meta: fc.option(fc.oneof(fc.dictionary(fc.string({ maxLength: 6 }), fc.oneof(fc.string(), number)), wild), { nil: undefined }),
  },
  { requiredKeys: ['id'] },
);
const options = fc.record({
  k: fc.option(number, { nil: undefined }),
  diversity: fc.option(number, { nil: undefined }),
  novelty: fc.option(number, { nil: undefined }),
  exclude: fc.option(fc.array(ids, { maxLength: 3 }), { nil: undefined }),
  tags: fc.option(fc.oneof(fc.array(fc.string({ maxLength: 8 }), { maxLength: 2 }), wild), { nil: undefined }),
  limit: fc.option(number, { nil: undefined }),
  excludeSeen: fc.option(fc.oneof(fc.boolean(), wild), { nil: undefined }),
});
const exportFile = fc.record({
  format: fc.oneof(fc.constant('tastebud-export'), wild),
  version: fc.oneof(fc.constant(1), number),
  userId: fc.oneof(fc.constant('default'), ids),
  exportedAt: number,
  events: fc.oneof(fc.array(event, { maxLength: 5 }), wild),
});

type Command = { method: string; args: readonly unknown[] };
const command: fc.Arbitrary<Command> = fc.oneof(
  fc.record({ method: fc.constant('track'), args: fc.tuple(fc.oneof(event, fc.array(event, { maxLength: 4 }), wild)) }),
  fc.record({ method: fc.constant('upsertItems'), args: fc.tuple(fc.oneof(fc.array(item, { maxLength: 3 }), wild)) }),
  fc.record({ method: fc.constant('removeItems'), args: fc.tuple(fc.oneof(fc.array(ids, { maxLength: 2 }), wild)) }),
  fc.record({ method: fc.constant('recommend'), args: fc.tuple(fc.oneof(options, wild)) }),
  fc.record({ method: fc.constant('similar'), args: fc.tuple(fc.oneof(ids, wild), fc.oneof(options, wild)) }),
  fc.record({ method: fc.constant('search'), args: fc.tuple(fc.oneof(fc.string({ maxLength: 20 }), wild)) }),
  fc.record({ method: fc.constant('history'), args: fc.tuple(fc.oneof(options, wild)) }),
  fc.record({
    method: fc.constant('importData'),
    args: fc.tuple(exportFile, fc.oneof(fc.record({ mode: fc.constantFrom('merge', 'replace', 'wipe') }), wild)),
  }),
  fc.record({ method: fc.constant('exportData'), args: fc.constant([]) }),
  fc.record({ method: fc.constant('forget'), args: fc.constant([]) }),
  fc.record({ method: fc.constant('info'), args: fc.constant([]) }),
);

test('fuzz: random calls reject only with TastebudError, the worker stays alive, event counts stay exact', async ({
  harness,
  backends,
}, testInfo) => {
  test.setTimeout(300_000);
  await harness.evaluate(
    async ({ backends, dbName, movies }) => {
      const r = await window.tastebud.createRecommender({ backends, dbName, timeoutMs: 60_000 });
      await r.upsertItems(movies);
      const tags: Record<string, string[]> = Object.fromEntries(movies.map((m) => [m.id, m.tags ?? []]));
      (window as unknown as { fuzz: unknown }).fuzz = { r, expectedEvents: 0, tags };
    },
    { backends, dbName: uniqueDb(testInfo.title), movies: MOVIES },
  );
  let calls = 0;
  let rejected = 0;
  await fc.assert(
    fc.asyncProperty(fc.array(command, { minLength: 1, maxLength: 12 }), async (commands) => {
      const out = await harness.evaluate(async (commands) => {
        const state = (
          window as unknown as {
            fuzz: { r: Record<string, (...a: unknown[]) => Promise<unknown>>; expectedEvents: number; tags: Record<string, string[]> };
          }
        ).fuzz;
        const outcomes: Array<{ method: string; ok: boolean; foreign?: string; insane?: string }> = [];
        /** Every result list: finite scores, at most k items, nothing excluded, tags respected. */
        const sane = (method: string, args: readonly unknown[], result: unknown): string | undefined => {
          if (!['recommend', 'similar', 'search'].includes(method)) return undefined;
          const list = result as Array<{ itemId: string; score: number }>;
          const options = (method === 'similar' ? args[1] : args[0]) as { k?: number; exclude?: string[]; tags?: string[] } | undefined;
          const k = typeof options?.k === 'number' ? options.k : 10;
          if (list.length > k) return `${list.length} results for k ${k}`;
          const bad = list.find((x) => !Number.isFinite(x.score));
          if (bad) return `score ${bad.score} for ${bad.itemId}`;
          const excluded = list.find((x) => options?.exclude?.includes(x.itemId) || (method === 'similar' && x.itemId === args[0]));
          if (excluded) return `excluded item ${excluded.itemId} returned`;
          if (method === 'recommend' && Array.isArray(options?.tags) && options.tags.length > 0) {
            const untagged = list.find((x) => !(state.tags[x.itemId] ?? []).some((t) => options.tags!.includes(t)));
            if (untagged) return `${untagged.itemId} has none of the tags ${options.tags.join(', ')}`;
          }
          return undefined;
        };
        for (const { method, args } of commands) {
          try {
            const result = (await state.r[method]!(...args)) as { stored?: number; imported?: number } | undefined;
            const insane = sane(method, args, result);
            if (insane) outcomes.push({ method, ok: true, insane });
            if (method === 'track') state.expectedEvents += result!.stored!;
            if (method === 'forget') state.expectedEvents = 0;
            if (method === 'upsertItems')
              for (const item of args[0] as Array<{ id: string; tags?: string[] }>) state.tags[item.id] = item.tags ?? [];
            if (method === 'removeItems') for (const id of args[0] as string[]) delete state.tags[id];
            if (method === 'importData') {
              const mode = (args[1] as { mode?: string } | undefined)?.mode;
              state.expectedEvents = mode === 'replace' ? result!.imported! : state.expectedEvents + result!.imported!;
            }
            outcomes.push({ method, ok: true });
          } catch (err) {
            const isTastebud = err instanceof window.tastebud.TastebudError && (err as { code: string }).code !== 'internal';
            outcomes.push({ method, ok: false, ...(isTastebud ? {} : { foreign: String((err as Error)?.stack ?? err) }) });
          }
        }
        const info = (await state.r.info!()) as { counts: { userEvents: number }; workerRestarts: number };
        const history = (await state.r.history!({ limit: 100_000 })) as unknown[];
        const polluted = Object.keys(Object.prototype).length > 0;
        return {
          outcomes,
          userEvents: info.counts.userEvents,
          expected: state.expectedEvents,
          history: history.length,
          restarts: info.workerRestarts,
          workers: window.workers.length,
          polluted,
        };
      }, commands);
      calls += out.outcomes.length;
      rejected += out.outcomes.filter((o) => !o.ok).length;
      expect(out.outcomes.filter((o) => o.foreign)).toEqual([]);
      expect(out.outcomes.filter((o) => o.insane)).toEqual([]);
      expect(out.restarts).toBe(0);
      expect(out.workers).toBe(1);
      expect(out.polluted).toBe(false);
      expect(out.userEvents).toBe(out.expected);
      expect(out.history).toBe(out.expected);
    }),
    { seed: SEED, numRuns: RUNS, endOnFailure: true },
  );
  await harness.evaluate(async () => {
    await (window as unknown as { fuzz: { r: { dispose(): Promise<void> } } }).fuzz.r.dispose();
  });
  testInfo.annotations.push({ type: 'fuzz', description: `seed ${SEED}, ${RUNS} runs, ${calls} calls, ${rejected} rejected` });
  recordFaults(testInfo, { random: { sequence: `seed ${SEED}, ${RUNS} runs`, calls } });
});
