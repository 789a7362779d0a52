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
