import { readFileSync } from 'node:fs';
import { test, expect, uniqueDb } from './fixtures';

interface Golden {
  history: string[];
  relative: Array<{ itemId: string; score: number }>;
}
const golden = JSON.parse(readFileSync(new URL('./harness/public/models/tiny-sasrec/golden.json', import.meta.url), 'utf8')) as Golden;
const items = golden.relative.map(({ itemId }) => ({ id: itemId, meta: { title: `Movie ${itemId.slice(1)}` } }));
const MODEL = '/models/tiny-sasrec/manifest.json';
const HISTORY = [...golden.history, 'm9', 'm31', 'm3', 'm17', 'm50', 'm42'];

type Scores = Record<string, number>;

function maxDiff(a: Scores, b: Scores): number {
  let m = 0;
  for (const [id, v] of Object.entries(a)) m = Math.max(m, Math.abs(v - (b[id] ?? Infinity)));
  return m;
}

test('adapt() fine-tunes on the history without blocking other calls, persists per user, and resets', async ({
  harness,
  backends,
  expectedBackend,
}, testInfo) => {
  test.setTimeout(240_000);
  const dbName = uniqueDb(testInfo.title);
  const out = await harness.evaluate(
    async ({ backends, dbName, items, history, model }) => {
      const scores = async (r: Awaited<ReturnType<typeof window.tastebud.createRecommender>>): Promise<Record<string, number>> =>
        Object.fromEntries((await r.recommend({ k: 40, excludeSeen: false })).map((x) => [x.itemId, x.score]));
      const r = await window.tastebud.createRecommender({ backends, dbName, models: { sequence: model }, timeoutMs: 120_000 });
      await r.upsertItems(items);
      await r.track(history.map((itemId, i) => ({ itemId, type: 'view' as const, at: 1000 + i })));
      const before = await scores(r);
      const tensorsBefore = (await r.info()).memory.tensors;
      // A long adapt() (time-bound) while other calls keep being answered.
      let adaptDoneAt = 0;
      const adapting = r.adapt({ steps: 1000, maxMs: 2500, lr: 0.02 }).then((res) => {
        adaptDoneAt = performance.now();
        return res;
      });
      await new Promise((resolve) => setTimeout(resolve, 300));
      await r.history({ limit: 3 });
      const otherDoneAt = performance.now();
      const timed = await adapting;
      const tensorsAfter = (await r.info()).memory.tensors;
      await r.resetAdaptation();
      const afterFirstReset = await scores(r);
      const fitted = await r.adapt({ steps: 10, lr: 0.05, maxMs: 60_000 });
      const adapted = await scores(r);
      const info = await r.info();
      await r.dispose();

      const again = await window.tastebud.createRecommender({ backends, dbName, models: { sequence: model }, timeoutMs: 120_000 });
      const reloaded = await scores(again);
      const otherUser = await window.tastebud.createRecommender({
        backends,
        dbName,
        userId: 'someone-else',
        models: { sequence: model },
        timeoutMs: 120_000,
      });
      await otherUser.track(history.map((itemId, i) => ({ itemId, type: 'view' as const, at: 1000 + i })));
      const otherScores = await scores(otherUser);
      await otherUser.dispose();
      await again.resetAdaptation();
      const reset = await scores(again);
      await again.adapt({ steps: 3, lr: 0.05 });
      await again.forget();
      await again.track(history.map((itemId, i) => ({ itemId, type: 'view' as const, at: 1000 + i })));
      const afterForget = await scores(again);
      const noModel = await window.tastebud.createRecommender({ backends, dbName: `${dbName}-none` });
      const noModelError = await noModel.adapt().then(
        () => null,
        (e: { code: string }) => e.code,
      );
      await noModel.dispose();
      await again.dispose();
      return {
        before,
        afterFirstReset,
        timed,
        fitted,
        adapted,
        reloaded,
        otherScores,
        reset,
        afterForget,
        info,
        tensorsBefore,
        tensorsAfter,
        adaptDoneAt,
        otherDoneAt,
        noModelError,
      };
    },
    { backends, dbName, items, history: HISTORY, model: MODEL },
  );

  expect(out.info.backend).toBe(expectedBackend);
  expect(out.timed.steps).toBeGreaterThanOrEqual(1);
  // Stopped by maxMs, not by the step count (the first step includes shader compilation on GPU backends).
  expect(out.timed.steps).toBeLessThan(1000);
  expect(out.timed.ms).toBeGreaterThanOrEqual(2500);
  expect(out.otherDoneAt, 'history() answered while adapt() was running').toBeLessThan(out.adaptDoneAt);
  expect(out.tensorsAfter).toBe(out.tensorsBefore);
  expect(maxDiff(out.before, out.afterFirstReset), 'resetAdaptation() restores the shipped weights').toBeLessThanOrEqual(1e-3);
  expect(out.fitted).toMatchObject({ steps: 10, stored: true, historyItems: HISTORY.length });
  expect(out.fitted.lossAfter!).toBeLessThan(out.fitted.lossBefore!);
  expect(maxDiff(out.before, out.adapted)).toBeGreaterThan(1e-3);
  expect(maxDiff(out.adapted, out.reloaded), 'the adapted weights are used after a restart').toBeLessThanOrEqual(1e-3);
  expect(maxDiff(out.before, out.otherScores), 'another profile keeps the shipped model').toBeLessThanOrEqual(1e-3);
  expect(maxDiff(out.before, out.reset)).toBeLessThanOrEqual(1e-3);
  expect(maxDiff(out.before, out.afterForget), 'forget() drops the adapted weights').toBeLessThanOrEqual(1e-3);
  expect(out.noModelError).toBe('unsupported');
});
