/**
 * Item 10: a page (and its worker) served with a strict Content-Security-Policy:
 * no 'unsafe-eval', no 'wasm-unsafe-eval', no inline script, scripts and workers
 * from 'self' only (the header is set by vite.config.ts in e2e mode).
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

test('strict CSP without unsafe-eval or wasm-unsafe-eval: the library starts, loads a model and recommends', async ({
  page,
  backends,
  expectedBackend,
}, testInfo) => {
  const violations: string[] = [];
  page.on('console', (msg) => {
    if (/Content.Security.Policy|Refused to/i.test(msg.text())) violations.push(msg.text());
  });
  const workerPolicies: string[] = [];
  page.on('response', (response) => {
    if (/engine\.worker/.test(response.url())) workerPolicies.push(response.headers()['content-security-policy'] ?? '');
  });
  const response = await page.goto('/csp.html');
  const policy = response!.headers()['content-security-policy'] ?? '';
  expect(policy).toContain("script-src 'self'");
  expect(policy).not.toMatch(/unsafe-eval|unsafe-inline/);
  await expect(page.locator('#status')).toHaveText('ready');
  const out = await page.evaluate(
    async ({ backends, dbName, items, history }) => {
      const seen: string[] = [];
      document.addEventListener('securitypolicyviolation', (e) => seen.push(`${e.violatedDirective} ${e.blockedURI}`));
      const r = await window.tastebud.createRecommender({ backends, dbName, models: { sequence: '/models/tiny-sasrec/manifest.json' } });
      await r.upsertItems(items);
      await r.track(history.map((itemId, i) => ({ itemId, type: 'view' as const, at: 1000 + i })));
      const recs = await r.recommend({ k: 100 });
      const info = await r.info();
      await r.dispose();
      return { recs, info, seen };
    },
    { backends, dbName: uniqueDb(testInfo.title), items, history: golden.history },
  );
  expect(workerPolicies.length).toBeGreaterThan(0);
  for (const p of workerPolicies) expect(p).toBe(policy);
  expect(out.info.backend).toBe(expectedBackend);
  expect(out.info.models.find((m) => m.kind === 'sequence')).toMatchObject({ status: 'ready' });
  const expected = new Map(golden.relative.map((g) => [g.itemId, g.score]));
  let maxDiff = 0;
  for (const rec of out.recs) maxDiff = Math.max(maxDiff, Math.abs(rec.score - expected.get(rec.itemId)!));
  expect(maxDiff).toBeLessThanOrEqual(1e-3);
  expect(out.seen).toEqual([]);
  expect(violations).toEqual([]);
  recordFaults(testInfo, { checks: 1 });
});

/** Starts a recommender on `path` with wasm listed first; returns what it chose and a recommendation. */
async function startWithWasmFirst(page: import('@playwright/test').Page, path: string, dbName: string) {
  await page.goto(path);
  await expect(page.locator('#status')).toHaveText('ready');
  return page.evaluate(
    async ({ dbName, items, history }) => {
      const r = await window.tastebud.createRecommender({
        backends: ['wasm', 'cpu'],
        dbName,
        models: { sequence: '/models/tiny-sasrec/manifest.json' },
      });
      await r.upsertItems(items);
      await r.track(history.map((itemId, i) => ({ itemId, type: 'view' as const, at: 1000 + i })));
      const recs = await r.recommend({ k: 100 });
      const info = await r.info();
      await r.dispose();
      return { recs, info };
    },
    { dbName, items, history: golden.history },
  );
}

function maxGoldenDiff(recs: Array<{ itemId: string; score: number }>): number {
  const expected = new Map(golden.relative.map((g) => [g.itemId, g.score]));
  return Math.max(...recs.map((rec) => Math.abs(rec.score - expected.get(rec.itemId)!)));
}

test("strict CSP without 'wasm-unsafe-eval': wasm is rejected with the directive to add, and the next backend recommends", async ({
  page,
}, testInfo) => {
  const out = await startWithWasmFirst(page, '/csp.html', uniqueDb(testInfo.title));
  expect(out.info.backend).toBe('cpu');
  expect(out.info.backendsTried[0]).toMatchObject({ name: 'wasm', ok: false });
  expect(out.info.backendsTried[0]!.reason).toContain("add 'wasm-unsafe-eval' to script-src");
  expect(maxGoldenDiff(out.recs)).toBeLessThanOrEqual(1e-3);
  recordFaults(testInfo, { checks: 1 });
});

test("CSP with 'wasm-unsafe-eval': the wasm backend runs and serves the golden scores", async ({ page }, testInfo) => {
  const response = await page.goto('/csp-wasm.html');
  expect(response!.headers()['content-security-policy']).toContain("script-src 'self' 'wasm-unsafe-eval'");
  const out = await startWithWasmFirst(page, '/csp-wasm.html', uniqueDb(testInfo.title));
  expect(out.info.backend).toBe('wasm');
  expect(out.info.wasm?.simd).toBe(true);
  expect(maxGoldenDiff(out.recs)).toBeLessThanOrEqual(1e-3);
  recordFaults(testInfo, { checks: 1 });
});
