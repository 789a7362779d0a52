/** Item 1: the worker dies mid-call (terminate, uncaught throw, failed allocation, frozen). */
import { test, expect, uniqueDb, MOVIES } from '../fixtures';
import { recordFaults } from './fault-log';

const ACKED = [
  { itemId: 'alien', type: 'like' as const, at: 1 },
  { itemId: 'up', type: 'like' as const, at: 2 },
];

for (const fault of ['throw', 'oom', 'terminate'] as const) {
  test(`worker dies mid-call (${fault}): pending calls reject worker-crashed, a fresh worker serves the next call, no acknowledged event lost`, async ({
    harness,
    backends,
  }, testInfo) => {
    const out = await harness.evaluate(
      async ({ backends, dbName, movies, acked, fault }) => {
        window.faultAgent = { startup: [] };
        const r = await window.tastebud.createRecommender({ backends, dbName, timeoutMs: 60_000 });
        await r.upsertItems(movies);
        await r.track(acked);
        // A long call in flight when the worker dies.
        const events = Array.from({ length: 150_000 }, (_, i) => ({ itemId: `bulk-${i}`, type: 'view' as const, at: 10 + i }));
        const started = performance.now();
        const pending = [
          r.importData({ format: 'tastebud-export', version: 1, userId: 'default', exportedAt: 0, events }),
          r.recommend({ k: 3 }),
          r.history({ limit: 10 }),
        ].map((p) =>
          p.then(
            () => 'resolved',
            (err: { code?: string }) => err.code ?? String(err),
          ),
        );
        await new Promise((resolve) => setTimeout(resolve, 30));
        if (fault === 'terminate') window.workers.at(-1)!.terminate();
        else await window.injectFault(fault);
        const outcomes = await Promise.all(pending);
        const rejectMs = performance.now() - started;
        const recs = await r.recommend({ k: 3 });
        // The acknowledged events are older than every imported one: read them by time, not among the newest.
        const history = await r.history({ limit: 100, before: 10 });
        const exported = await r.exportData();
        const bulk = exported.events.filter((e) => e.itemId.startsWith('bulk-')).length;
        const info = await r.info();
        await r.dispose();
        return {
          outcomes,
          rejectMs,
          recs: recs.length,
          history: history.map((e) => e.itemId),
          userEvents: info.counts.userEvents,
          bulk,
          restarts: info.workerRestarts,
        };
      },
      { backends, dbName: uniqueDb(testInfo.title), movies: MOVIES, acked: ACKED, fault },
    );
    // A call may have finished just before the crash; none may hang or fail any other way.
    for (const outcome of out.outcomes) expect(['worker-crashed', 'resolved']).toContain(outcome);
    expect(out.outcomes[0]).toBe('worker-crashed');
    expect(out.rejectMs).toBeLessThan(30_000);
    expect(out.restarts).toBe(1);
    expect(out.recs).toBe(3);
    const kept = out.history.filter((id) => id === 'alien' || id === 'up');
    expect(kept.sort()).toEqual(['alien', 'up']);
    // The interrupted import is all or nothing.
    expect([0, 150_000]).toContain(out.bulk);
    expect(out.userEvents).toBe(2 + out.bulk);
    recordFaults(testInfo, { targeted: 1, acknowledged: 2, found: kept.length });
  });
}

test('a frozen worker: the call times out, the ping fails, other pending calls reject worker-crashed, the next call works', async ({
  harness,
  backends,
  expectedBackend,
}, testInfo) => {
  // Long enough for a cold start on emulated WebGPU, which takes ~15 s on the CI machine.
  const timeoutMs = expectedBackend === 'webgpu' ? 40_000 : 15_000;
  const out = await harness.evaluate(
    async ({ backends, dbName, movies, acked, timeoutMs }) => {
      window.faultAgent = { startup: [] };
      const r = await window.tastebud.createRecommender({ backends, dbName, timeoutMs });
      await r.upsertItems(movies);
      await r.track(acked);
      await window.injectFault('hang');
      const started = performance.now();
      const first = await r.recommend({ k: 3 }).then(
        () => 'resolved',
        (err: { code: string }) => err.code,
      );
      const firstMs = performance.now() - started;
      // Issued after the timeout, while the ping decides: rejected as soon as the worker is declared dead.
      const secondStarted = performance.now();
      const second = await r.history().then(
        () => 'resolved',
        (err: { code: string }) => err.code,
      );
      const secondMs = performance.now() - secondStarted;
      const history = await r.history();
      const info = await r.info();
      await r.dispose();
      return { first, firstMs, second, secondMs, history: history.map((e) => e.itemId), restarts: info.workerRestarts };
    },
    { backends, dbName: uniqueDb(testInfo.title), movies: MOVIES, acked: ACKED, timeoutMs },
  );
  expect(out.first).toBe('timeout');
  expect(out.firstMs).toBeLessThan(timeoutMs + 3_000);
  expect(out.second).toBe('worker-crashed');
  expect(out.secondMs).toBeLessThan(timeoutMs);
  expect(out.restarts).toBe(1);
  expect(out.history.sort()).toEqual(['alien', 'up']);
  recordFaults(testInfo, { targeted: 1, acknowledged: 2, found: out.history.length });
});

test('calls made while a fresh worker starts after a crash, and while it crashes too, resolve or reject worker-crashed; a second dispose() waits for the first', async ({
  harness,
  backends,
}, testInfo) => {
  const out = await harness.evaluate(
    async ({ backends, dbName, movies, acked }) => {
      window.faultAgent = { startup: [] };
      const r = await window.tastebud.createRecommender({ backends, dbName, timeoutMs: 60_000 });
      await r.upsertItems(movies);
      await r.track(acked);
      const outcome = (p: Promise<unknown>): Promise<string> =>
        p.then(
          () => 'resolved',
          (err: { code?: string }) => `${err instanceof window.tastebud.TastebudError ? 'TastebudError' : 'other'}:${err.code}`,
        );
      const burst = (): Array<Promise<string>> =>
        [r.recommend({ k: 3 }), r.history({ limit: 10 }), r.similar('alien'), r.info(), r.exportData()].map(outcome);
      const rounds: string[][] = [];
      // 1: the worker is gone; these calls are what starts the fresh one.
      window.workers.at(-1)!.terminate();
      await outcome(r.history());
      const starting = window.workers.length;
      const during = burst();
      // 2: the fresh worker dies too, while it is still starting (an uncaught throw in it).
      while (window.workers.length === starting) await new Promise((resolve) => setTimeout(resolve, 5));
      // Sent until the fresh worker's fault agent answers: a BroadcastChannel message posted before it listens is lost.
      await new Promise<void>((resolve) => {
        const channel = new BroadcastChannel('tastebud-faults');
        const timer = setInterval(() => channel.postMessage('throw'), 20);
        channel.onmessage = () => {
          clearInterval(timer);
          channel.close();
          resolve();
        };
      });
      rounds.push(await Promise.all(during));
      // 3: and after that, a worker starts again and serves.
      rounds.push(await Promise.all(burst()));
      const history = await r.history({ limit: 10 });
      const info = await r.info();
      // Two dispose() calls: the second one resolves only after the first has finished.
      let firstDone = false;
      const first = r.dispose().then(() => {
        firstDone = true;
      });
      await r.dispose();
      const secondWaited = firstDone;
      await first;
      const after = await outcome(r.recommend());
      return { rounds, history: history.map((e) => e.itemId), restarts: info.workerRestarts, secondWaited, after };
    },
    { backends, dbName: uniqueDb(testInfo.title), movies: MOVIES, acked: ACKED },
  );
  for (const result of out.rounds[0]!) expect(['resolved', 'TastebudError:worker-crashed']).toContain(result);
  expect(out.rounds[1]).toEqual(['resolved', 'resolved', 'resolved', 'resolved', 'resolved']);
  expect(out.history.sort()).toEqual(['alien', 'up']);
  expect(out.restarts).toBeGreaterThanOrEqual(2);
  expect(out.secondWaited).toBe(true);
  expect(out.after).toBe('TastebudError:disposed');
  testInfo.annotations.push({ type: 'during the restart', description: out.rounds[0]!.join(', ') });
  recordFaults(testInfo, { targeted: 2, acknowledged: 2, found: out.history.filter((id) => id === 'alien' || id === 'up').length });
});
