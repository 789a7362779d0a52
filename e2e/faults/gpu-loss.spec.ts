/**
 * Item 2: the GPU under the backend is lost (WebGPU `device.destroy()`, WebGL
 * `WEBGL_lose_context`), injected from inside the worker by the fault agent.
 * The engine moves to the next backend, scores stay equal (≤ 1e-3), info() says so.
 * Runs in the faults-webgpu and faults-webgl projects only.
 */
import { readFileSync } from 'node:fs';
import { test, expect, uniqueDb } from '../fixtures';
import { recordFaults } from './fault-log';

interface Golden {
  history: string[];
  relative: Array<{ itemId: string; score: number }>;
}
const golden = JSON.parse(readFileSync(new URL('../harness/public/models/tiny-sasrec/golden.json', import.meta.url), 'utf8')) as Golden;
const items = golden.relative.map(({ itemId }) => ({ id: itemId, meta: { title: `Movie ${itemId.slice(1)}` } }));

test('GPU loss: the engine switches to the next backend, scores stay equal, info() reports the switch', async ({
  harness,
  backends,
  expectedBackend,
}, testInfo) => {
  test.setTimeout(240_000);
  const out = await harness.evaluate(
    async ({ backends, dbName, items, history, model }) => {
      window.faultAgent = { startup: [] };
      const r = await window.tastebud.createRecommender({ backends, dbName, models: { sequence: model }, timeoutMs: 120_000 });
      await r.upsertItems(items);
      await r.track(history.map((itemId, i) => ({ itemId, type: 'view' as const, at: 1000 + i })));
      const rounds = [{ backend: (await r.info()).backend, recs: await r.recommend({ k: 100 }), fault: '' }];
      // Lose whatever GPU backend is active, until the engine is on cpu.
      for (let i = 0; i < 2 && rounds.at(-1)!.backend !== 'cpu'; i++) {
        const fault = rounds.at(-1)!.backend === 'webgpu' ? ('lose-webgpu' as const) : ('lose-webgl' as const);
        const reply = await window.injectFault(fault);
        const recs = await r.recommend({ k: 100 });
        rounds.push({ backend: (await r.info()).backend, recs, fault: `${fault} (${reply.devices} device(s), ${reply.gls} context(s))` });
      }
      const info = await r.info();
      const kept = await r.history();
      await r.dispose();
      return {
        rounds,
        switches: info.backendSwitches,
        tried: info.backendsTried,
        sequence: info.models.find((m) => m.kind === 'sequence'),
        kept: kept.length,
      };
    },
    { backends, dbName: uniqueDb(testInfo.title), items, history: golden.history, model: '/models/tiny-sasrec/manifest.json' },
  );
  expect(out.rounds[0]!.backend).toBe(expectedBackend);
  expect(out.rounds.length).toBeGreaterThanOrEqual(2);
  expect(out.rounds.at(-1)!.backend).toBe('cpu');
  expect(out.switches).toHaveLength(out.rounds.length - 1);
  const order = backends;
  out.switches.forEach((s, i) => {
    expect(s.from).toBe(out.rounds[i]!.backend);
    expect(s.to).toBe(out.rounds[i + 1]!.backend);
    expect(order.indexOf(s.to)).toBeGreaterThan(order.indexOf(s.from));
    expect(s.reason).toMatch(s.from === 'webgpu' ? /WebGPU device lost/ : /WebGL context lost/);
    expect(s.at).toBeGreaterThan(0);
  });
  // Same items, same order, same scores on every backend the engine went through.
  const first = out.rounds[0]!.recs;
  expect(first).toHaveLength(golden.relative.length - golden.history.length);
  const firstScores = new Map(first.map((x) => [x.itemId, x.score]));
  for (const round of out.rounds.slice(1)) {
    expect(round.recs.map((x) => x.itemId).sort()).toEqual([...firstScores.keys()].sort());
    let maxDiff = 0;
    for (const x of round.recs) maxDiff = Math.max(maxDiff, Math.abs(x.score - firstScores.get(x.itemId)!));
    expect(maxDiff).toBeLessThanOrEqual(1e-3);
    expect(round.recs[0]!.reasons[0]!.source).toBe('sequence');
  }
  expect(out.sequence).toMatchObject({ status: 'ready' });
  expect(out.kept).toBe(golden.history.length);
  testInfo.annotations.push({ type: 'switches', description: out.switches.map((s) => `${s.from}→${s.to}`).join(', ') });
  recordFaults(testInfo, { targeted: out.switches.length, acknowledged: golden.history.length, found: out.kept });
});

test('GPU lost during a call: the call is retried once on the next backend, the model re-created from the IndexedDB cache', async ({
  harness,
  backends,
  expectedBackend,
}, testInfo) => {
  test.setTimeout(240_000);
  const requests: string[] = [];
  harness.context().on('request', (request) => requests.push(new URL(request.url()).pathname));
  const out = await harness.evaluate(
    async ({ backends, dbName, items, history, model }) => {
      window.faultAgent = { startup: [] };
      const r = await window.tastebud.createRecommender({ backends, dbName, models: { sequence: model }, timeoutMs: 60_000 });
      await r.upsertItems(items);
      await r.track(history.map((itemId, i) => ({ itemId, type: 'view' as const, at: 1000 + i })));
      const before = await r.recommend({ k: 100 });
      const from = (await r.info()).backend;
      // Splits the request log: everything after this request was made after the fault.
      await fetch('/fault-injected-here').catch(() => undefined);
      const reply = await window.injectFault(from === 'webgpu' ? 'lose-webgpu-mid-call' : 'lose-webgl-mid-call');
      let during: Awaited<ReturnType<typeof r.recommend>> | string;
      try {
        during = await r.recommend({ k: 100 });
      } catch (err) {
        during = `${(err as { code?: string }).code}: ${(err as Error).message}`;
      }
      const info = await r.info();
      await r.dispose();
      return { before, from, during, reply, info };
    },
    { backends, dbName: uniqueDb(testInfo.title), items, history: golden.history, model: '/models/tiny-sasrec/manifest.json' },
  );
  expect(out.from).toBe(expectedBackend);
  expect(out.reply.devices + out.reply.gls).toBeGreaterThan(0);
  expect(typeof out.during === 'string' ? out.during : 'resolved').toBe('resolved');
  const during = out.during as typeof out.before;
  // Exactly one switch, to the next backend listed: the call ran once more there.
  expect(out.info.backendSwitches).toHaveLength(1);
  expect(out.info.backendSwitches[0]).toMatchObject({ from: expectedBackend, to: backends[backends.indexOf(expectedBackend) + 1] });
  expect(out.info.backend).toBe(backends[backends.indexOf(expectedBackend) + 1]);
  const scores = new Map(out.before.map((x) => [x.itemId, x.score]));
  expect(during.map((x) => x.itemId).sort()).toEqual([...scores.keys()].sort());
  for (const x of during) expect(Math.abs(x.score - scores.get(x.itemId)!)).toBeLessThanOrEqual(1e-3);
  expect(during[0]!.reasons[0]!.source).toBe('sequence');
  expect(out.info.models.find((m) => m.kind === 'sequence')).toMatchObject({ status: 'ready' });
  // Re-created from the IndexedDB cache: after the fault only the manifest is asked for (an update check), no model file.
  const after = requests.slice(requests.indexOf('/fault-injected-here') + 1).filter((p) => p.startsWith('/models/'));
  expect(requests).toContain('/models/tiny-sasrec/weights.bin');
  expect(after.filter((p) => !p.endsWith('/manifest.json'))).toEqual([]);
  testInfo.annotations.push({ type: 'requests after the fault', description: after.join(', ') || 'none' });
  recordFaults(testInfo, { targeted: 1 });
});
