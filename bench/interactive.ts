/**
 * Interactive calls first: recommend() latency while posters are encoded in the
 * background, beside its idle latency measured in the same run, on the e2e
 * harness page (build it first: `npm run build:e2e`).
 *   node --import tsx bench/interactive.ts [--backend wasm] [--calls 60] [--posters 48] [--allow-busy]
 * Writes bench/results/interactive.json. A benchmark, not a test: slow never fails.
 */
import { chromium } from '@playwright/test';
import { writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { preview } from 'vite';
import { summarize } from './stats';
import { loadOrRefuse } from './idle';

const root = join(import.meta.dirname, '..');
const arg = (name: string, fallback: string): string => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1]! : fallback;
};
const backend = arg('backend', 'wasm');
const calls = Number(arg('calls', '60'));
const posters = Number(arg('posters', '48'));
const loadBefore = loadOrRefuse(process.argv.includes('--allow-busy'));

const server = await preview({
  configFile: false,
  logLevel: 'warn',
  root: join(root, 'e2e/harness'),
  build: { outDir: join(root, 'e2e/.artifacts/harness') },
  preview: { port: 4321, strictPort: true, host: '127.0.0.1' },
});
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
  args: ['--no-sandbox', '--disable-dev-shm-usage'],
});
try {
  const page = await browser.newPage();
  // tsx keeps function names with an __name helper, which page.evaluate carries into the page.
  await page.addInitScript('window.__name = (f) => f');
  await page.goto('http://127.0.0.1:4321/');
  await page.waitForFunction(() => document.getElementById('status')?.textContent === 'ready');
  const raw = await page.evaluate(
    async ({ backend, calls, posters }) => {
      const items = Array.from({ length: 2000 }, (_, i) => ({
        id: `m${i}`,
        text: `Movie ${i} about ${['space', 'love', 'crime', 'toys'][i % 4]}`,
        tags: [`g${i % 7}`],
      }));
      const r = await window.tastebud.createRecommender({
        backends: [backend as 'wasm'],
        dbName: `bench-interactive-${Date.now()}`,
        models: { text: '/models/text/manifest.json', image: '/models/image/manifest.json', popularity: { m1: 5, m2: 3 } },
        timeoutMs: 600_000,
      });
      await r.upsertItems(items);
      await r.track([
        { itemId: 'm3', type: 'like' },
        { itemId: 'm8', type: 'like' },
      ]);
      const timed = async (): Promise<number> => {
        const t = performance.now();
        await r.recommend({ k: 10 });
        return performance.now() - t;
      };
      for (let i = 0; i < 5; i++) await timed();
      const idle: number[] = [];
      for (let i = 0; i < calls; i++) idle.push(await timed());
      const poster = async (hue: number): Promise<Blob> => {
        const canvas = new OffscreenCanvas(300, 450);
        const g = canvas.getContext('2d')!;
        g.fillStyle = `hsl(${hue} 70% 50%)`;
        g.fillRect(0, 0, 300, 450);
        g.fillStyle = '#fff';
        g.fillRect(40, 60 + (hue % 200), 220, 80);
        return canvas.convertToBlob({ type: 'image/png' });
      };
      const withPosters = await Promise.all(items.slice(0, posters).map(async (item, i) => ({ ...item, image: await poster(i * 7) })));
      let encoding = true;
      const started = performance.now();
      const upsert = r.upsertItems(withPosters).finally(() => {
        encoding = false;
      });
      const busy: number[] = [];
      while (encoding && busy.length < calls) busy.push(await timed());
      const report = await upsert;
      const encodeMs = performance.now() - started;
      const info = await r.info();
      await r.dispose();
      return { idle, busy, encoded: report.encoded, encodeMs, backend: info.backend, wasm: info.wasm ?? null };
    },
    { backend, calls, posters },
  );
  const idle = summarize(raw.idle);
  const busy = summarize(raw.busy);
  const result = {
    what: 'recommend() while posters are encoded in the background vs idle, same run (e2e harness, 2,000 items, text + image models)',
    date: new Date().toISOString(),
    backend: raw.backend,
    wasm: raw.wasm,
    load: { before: Math.round(loadBefore * 100) / 100, after: Math.round(loadavg()[0]! * 100) / 100 },
    idle,
    whileEncoding: busy,
    postersEncoded: raw.encoded,
    encodeMs: Math.round(raw.encodeMs),
    p95Ratio: Math.round((busy.p95Ms / idle.p95Ms) * 100) / 100,
    target: 'p95 while encoding <= 2 x idle p95',
  };
  writeFileSync(join(root, 'bench/results/interactive.json'), `${JSON.stringify(result, null, 2)}\n`);
  console.log(JSON.stringify(result, null, 2));
} finally {
  await browser.close();
  await server.close();
}
