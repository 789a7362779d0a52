import { readFileSync } from 'node:fs';
import { test, expect, uniqueDb } from './fixtures';

interface Golden {
  history: string[];
  relative: Array<{ itemId: string; score: number }>;
  contributions: number[];
}
const readGolden = (dir: string): Golden =>
  JSON.parse(readFileSync(new URL(`./harness/public/models/${dir}/golden.json`, import.meta.url), 'utf8')) as Golden;
const golden = readGolden('tiny-sasrec');
const goldenFromStart = readGolden('tiny-sasrec-start'); // same weights, positions counted from the first item
const goldenLigr = readGolden('tiny-sasrec-ligr'); // LiGR blocks (gated residuals, SwiGLU), a relative attention bias, positions from the start
const goldenEnsemble = readGolden('tiny-ensemble'); // the three above as one ensemble (mean log-softmax)
const goldenTransitions = readGolden('tiny-ensemble-transitions'); // the same plus an item-transition table (scored in JS)
const items = golden.relative.map(({ itemId }) => ({ id: itemId, meta: { title: `Movie ${itemId.slice(1)}` } }));
const MODEL = '/models/tiny-sasrec/manifest.json';

for (const fixture of [
  { layout: 'positions from the end', golden, model: MODEL, name: 'sasrec' },
  { layout: 'positions from the start', golden: goldenFromStart, model: '/models/tiny-sasrec-start/manifest.json', name: 'sasrec' },
  { layout: 'LiGR blocks, relative attention bias', golden: goldenLigr, model: '/models/tiny-sasrec-ligr/manifest.json', name: 'sasrec' },
  { layout: 'an ensemble of the three', golden: goldenEnsemble, model: '/models/tiny-ensemble/manifest.json', name: 'ensemble' },
  {
    layout: 'the ensemble plus a transition table',
    golden: goldenTransitions,
    model: '/models/tiny-ensemble-transitions/manifest.json',
    name: 'ensemble',
  },
])
  test(`the sequence model serves the same scores as Node/cpu (≤ 1e-3) with attention reasons (${fixture.layout})`, async ({
    harness,
    backends,
    expectedBackend,
  }, testInfo) => {
    const { golden: want, model: url } = fixture;
    const out = await harness.evaluate(
      async ({ backends, dbName, items, history, model }) => {
        const r = await window.tastebud.createRecommender({ backends, dbName, models: { sequence: model } });
        await r.upsertItems(items);
        await r.track(history.map((itemId, i) => ({ itemId, type: 'view' as const, at: 1000 + i })));
        const recs = await r.recommend({ k: 50 });
        const info = await r.info();
        await r.track({ itemId: recs[0]!.itemId, type: 'like', at: 5000 });
        const next = await r.recommend({ k: 5 });
        await r.dispose();
        return { recs, info, next };
      },
      { backends, dbName: uniqueDb(testInfo.title), items, history: want.history, model: url },
    );
    expect(out.info.backend).toBe(expectedBackend);
    expect(out.info.models.find((m) => m.kind === 'sequence')).toMatchObject({ status: 'ready', name: fixture.name });
    const expected = new Map(want.relative.map((g) => [g.itemId, g.score]));
    expect(out.recs).toHaveLength(50);
    let maxDiff = 0;
    for (const rec of out.recs) maxDiff = Math.max(maxDiff, Math.abs(rec.score - expected.get(rec.itemId)!));
    expect(maxDiff).toBeLessThanOrEqual(1e-3);
    const best = want.relative.filter((g) => !want.history.includes(g.itemId)).sort((a, b) => b.score - a.score)[0]!;
    expect(out.recs[0]!.itemId).toBe(best.itemId);
    const topAttention = want.history[want.contributions.indexOf(Math.max(...want.contributions))]!;
    expect(out.recs[0]!.reasons[0]).toMatchObject({ source: 'sequence', text: `Because you viewed Movie ${topAttention.slice(1)}` });
    expect(out.recs[0]!.reasons[0]!.itemIds).toContain(topAttention);
    expect(out.next.map((r) => r.itemId)).not.toContain(out.recs[0]!.itemId);
    expect(out.next).not.toEqual(out.recs.slice(1, 6));
  });

test('the two position layouts of the fixture give different golden scores', () => {
  const diff = Math.max(...golden.relative.map((g, i) => Math.abs(g.score - goldenFromStart.relative[i]!.score)));
  expect(diff).toBeGreaterThan(1e-2);
});

test("the transition table changes the ensemble's golden scores", () => {
  const diff = Math.max(...goldenEnsemble.relative.map((g, i) => Math.abs(g.score - goldenTransitions.relative[i]!.score)));
  expect(diff).toBeGreaterThan(1e-2);
});

test('the model is cached in IndexedDB: the next start works with the network down', async ({ harness, backends }, testInfo) => {
  const dbName = uniqueDb(testInfo.title);
  const run = () =>
    harness.evaluate(
      async ({ backends, dbName, items, history, model }) => {
        const r = await window.tastebud.createRecommender({ backends, dbName, models: { sequence: model } });
        await r.upsertItems(items);
        if ((await r.history()).length === 0) await r.track(history.map((itemId, i) => ({ itemId, type: 'view' as const, at: 1000 + i })));
        const out = { recs: await r.recommend({ k: 5 }), info: await r.info() };
        await r.dispose();
        return out;
      },
      { backends, dbName, items, history: golden.history, model: MODEL },
    );
  const online = await run();
  await harness.route('**/models/tiny-sasrec/**', (route) => route.abort('internetdisconnected'));
  const offline = await run();
  await harness.unroute('**/models/tiny-sasrec/**');
  expect(offline.info.models.find((m) => m.kind === 'sequence')).toMatchObject({ status: 'ready' });
  expect(offline.info.models.find((m) => m.kind === 'sequence')!.error).toMatch(/cached copy/);
  expect(offline.recs).toEqual(online.recs);
});

test('a tampered weights file is refused with model-integrity and ranking still works', async ({ harness, backends }, testInfo) => {
  const out = await harness.evaluate(
    async ({ backends, dbName, items }) => {
      const r = await window.tastebud.createRecommender({
        backends,
        dbName,
        models: { sequence: '/models/tampered-sasrec/manifest.json', popularity: { m1: 5 } },
      });
      await r.upsertItems(items);
      const recs = await r.recommend({ k: 3 });
      const info = await r.info();
      await r.dispose();
      return { recs, model: info.models.find((m) => m.kind === 'sequence') };
    },
    { backends, dbName: uniqueDb(testInfo.title), items },
  );
  expect(out.model).toMatchObject({ status: 'error' });
  expect(out.model!.error).toMatch(/weights\.bin has sha256 [0-9a-f]{64}, the manifest says/);
  expect(out.recs[0]).toMatchObject({ itemId: 'm1', reasons: [{ source: 'popular' }] });
});

// Emulated WebGPU (SwiftShader) needs ~0.3 s per call here, so that project makes 100 calls; the others make 1,000.
test('no tensor leak over 1,000 recommend() calls with the sequence model', async ({ harness, backends, expectedBackend }, testInfo) => {
  test.setTimeout(300_000);
  const calls = expectedBackend === 'webgpu' ? 100 : 1000;
  const out = await harness.evaluate(
    async ({ backends, dbName, items, history, model, calls }) => {
      const r = await window.tastebud.createRecommender({ backends, dbName, models: { sequence: model } });
      await r.upsertItems(items);
      await r.track(history.map((itemId, i) => ({ itemId, type: 'view' as const, at: 1000 + i })));
      await r.recommend({ k: 10 });
      const before = (await r.info()).memory.tensors;
      const started = performance.now();
      for (let i = 0; i < calls; i++) await r.recommend({ k: 10 });
      const ms = (performance.now() - started) / calls;
      const after = (await r.info()).memory.tensors;
      await r.dispose();
      return { before, after, ms };
    },
    { backends, dbName: uniqueDb(testInfo.title), items, history: golden.history, model: MODEL, calls },
  );
  expect(out.after).toBe(out.before);
  testInfo.annotations.push({ type: 'mean recommend() ms', description: out.ms.toFixed(2) });
});
