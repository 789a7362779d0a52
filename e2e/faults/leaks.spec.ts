/**
 * Item 9: no tensor leak over 1,000 mixed calls (200 on emulated WebGPU, which
 * needs ~0.3 s a recommend() here), and dispose() ends the worker (its Web Lock
 * is released, so its GPU device and memory go with it) and later calls reject.
 */
import { readFileSync } from 'node:fs';
import { test, expect, uniqueDb, COOCCURRENCE } from '../fixtures';
import { recordFaults } from './fault-log';

interface Golden {
  history: string[];
  relative: Array<{ itemId: string }>;
}
const golden = JSON.parse(readFileSync(new URL('../harness/public/models/tiny-sasrec/golden.json', import.meta.url), 'utf8')) as Golden;
const items = golden.relative.map(({ itemId }, i) => ({
  id: itemId,
  tags: [i % 2 ? 'odd' : 'even'],
  meta: { title: `Movie ${itemId.slice(1)}` },
}));

test('no tensor leak over mixed calls (track, recommend, similar, history, info); dispose() ends the worker', async ({
  harness,
  backends,
  expectedBackend,
}, testInfo) => {
  test.setTimeout(420_000);
  const calls = expectedBackend === 'webgpu' ? 200 : 1000;
  const out = await harness.evaluate(
    async ({ backends, dbName, items, history, cooccurrence, calls }) => {
      const r = await window.tastebud.createRecommender({
        backends,
        dbName,
        models: { sequence: '/models/tiny-sasrec/manifest.json', cooccurrence },
        timeoutMs: 120_000,
      });
      await r.upsertItems(items);
      await r.track(history.map((itemId, i) => ({ itemId, type: 'view' as const, at: 1000 + i })));
      await r.recommend({ k: 10 });
      await r.similar('m1', { k: 5 });
      const first = await r.info();
      const counts: Record<string, number> = {};
      for (let i = 0; i < calls; i++) {
        const itemId = `m${1 + (i % 60)}`;
        const which = ['track', 'recommend', 'similar', 'history', 'info'][i % 5]!;
        counts[which] = (counts[which] ?? 0) + 1;
        if (which === 'track') await r.track({ itemId, type: i % 3 ? 'view' : 'like', at: 5000 + i });
        else if (which === 'recommend') await r.recommend({ k: 10, diversity: i % 2 ? 0.5 : 0, exclude: [itemId] });
        else if (which === 'similar') await r.similar(itemId, { k: 5 });
        else if (which === 'history') await r.history({ limit: 50 });
        else await r.info();
      }
      const last = await r.info();
      const lockName = (await navigator.locks.query()).held?.map((l) => l.name).filter((n) => n?.startsWith('tastebud-worker-')) ?? [];
      await r.dispose();
      await new Promise((resolve) => setTimeout(resolve, 200));
      const lockAfter = (await navigator.locks.query()).held?.map((l) => l.name).filter((n) => n?.startsWith('tastebud-worker-')) ?? [];
      const afterDispose = await Promise.all(
        [r.recommend(), r.track({ itemId: 'm1', type: 'view' }), r.info()].map((p) =>
          p.then(
            () => 'resolved',
            (err: { code: string }) => err.code,
          ),
        ),
      );
      return {
        before: first.memory,
        after: last.memory,
        backend: last.backend,
        userEvents: last.counts.userEvents,
        counts,
        lockName,
        lockAfter,
        afterDispose,
      };
    },
    { backends, dbName: uniqueDb(testInfo.title), items, history: golden.history, cooccurrence: COOCCURRENCE, calls },
  );
  expect(out.backend).toBe(expectedBackend);
  expect(out.after.tensors).toBe(out.before.tensors);
  expect(out.after.bytes).toBe(out.before.bytes);
  expect(out.userEvents).toBe(golden.history.length + calls / 5);
  expect(out.lockName).toHaveLength(1);
  expect(out.lockAfter).toEqual([]);
  expect(out.afterDispose).toEqual(['disposed', 'disposed', 'disposed']);
  testInfo.annotations.push({
    type: 'calls',
    description: `${calls} (${JSON.stringify(out.counts)}), tensors ${out.before.tensors} → ${out.after.tensors}`,
  });
  recordFaults(testInfo, { checks: 1, acknowledged: golden.history.length + calls / 5, found: out.userEvents });
});
