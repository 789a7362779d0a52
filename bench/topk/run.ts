/**
 * Top-k benchmark (issue 7, item 1): a query against 10k / 100k / 1M item
 * vectors (d = 64, 128) → top-10, per backend, in Node and in Debian Chromium.
 *
 *   node --import tsx bench/topk/run.ts --out bench/results/topk.json [--quick]
 *
 * Browser profiles use the Chromium flags of playwright.config.ts; the page is
 * built with Vite's JS API (inline config) into .cache/bench-topk and served on
 * TOPK_BENCH_PORT (default 4321).
 */
import { copyFileSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { cpus, loadavg, release, totalmem } from 'node:os';
import { dirname, extname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type Page } from '@playwright/test';
import { build } from 'vite';
import { configureTfjs, measureConfig, readBandwidth, type ConfigRequest, type Method, type Skipped, type TopkFigure } from './measure';

const here = dirname(fileURLToPath(import.meta.url));
const root = resolve(here, '../..');
const args = process.argv.slice(2);
const quick = args.includes('--quick');
const outIndex = args.indexOf('--out');
const outFile = outIndex >= 0 ? args[outIndex + 1] : undefined;
if (!outFile) {
  console.error('usage: node --import tsx bench/topk/run.ts --out <file.json> [--quick]');
  process.exit(2);
}

const SIZES = [10_000, 100_000, 1_000_000];
const DIMS = [64, 128];
const MAX_REPS: Record<number, number> = quick ? { 10000: 10, 100000: 7, 1000000: 3 } : { 10000: 30, 100000: 15, 1000000: 7 };
const BUDGET_MS = quick ? 1000 : 3000;
const SKIP_MS = quick ? 2500 : 5000;
const PORT = Number(process.env.TOPK_BENCH_PORT ?? 4321);
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
// As in playwright.config.ts.
const BASE_ARGS = [
  '--no-sandbox',
  '--disable-dev-shm-usage',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];
const WEBGPU_ARGS = ['--enable-unsafe-webgpu', '--use-webgpu-adapter=swiftshader', '--enable-unsafe-swiftshader'];
const WEBGL_ARGS = ['--enable-unsafe-swiftshader', '--use-angle=swiftshader'];

const CPU_METHODS: Method[] = ['js-baseline', 'scan-int8-wasm', 'scan-f32-wasm', 'scan-int8-js', 'tfjs-cpu', 'tfjs-wasm'];
const PROFILES: Array<{ name: string; args: string[]; methods: Method[] }> = [
  { name: 'cpu', args: BASE_ARGS, methods: CPU_METHODS },
  { name: 'webgl', args: [...BASE_ARGS, ...WEBGL_ARGS], methods: ['js-baseline', 'tfjs-webgl'] },
  { name: 'webgpu', args: [...BASE_ARGS, ...WEBGPU_ARGS], methods: ['js-baseline', 'tfjs-webgpu'] },
];

const figures: TopkFigure[] = [];
const skipped: Skipped[] = [];
const bandwidth: Record<string, number> = {};
const started = Date.now();
/** The machine may be shared: the 1/5/15-minute load averages say how much. */
const loadAtStart = loadavg().map((x) => Number(x.toFixed(1)));
const log = (msg: string): void => {
  console.error(`[${((Date.now() - started) / 1000).toFixed(0)} s] ${msg}`);
};

/** --quick leaves out the slowest figures that say nothing new at 1M: the JS fallback and tfjs-cpu (both slower than the baseline from 100k on). */
const QUICK_SKIPS: Method[] = ['scan-int8-js', 'tfjs-cpu'];

function requests(env: ConfigRequest['env'], methods: Method[], profile?: string): ConfigRequest[] {
  return SIZES.flatMap((items) =>
    DIMS.map((dim) => {
      const left = quick && items >= 1_000_000 ? methods.filter((m) => QUICK_SKIPS.includes(m)) : [];
      for (const backend of left) skipped.push({ env, ...(profile ? { profile } : {}), backend, items, dim, reason: '--quick' });
      return {
        env,
        ...(profile ? { profile } : {}),
        items,
        dim,
        methods: methods.filter((m) => !left.includes(m)),
        maxReps: MAX_REPS[items]!,
        budgetMs: BUDGET_MS,
        skipMs: SKIP_MS,
        seed: items + dim,
      };
    }),
  );
}

function report(result: { figures: TopkFigure[]; skipped: Skipped[] }): void {
  figures.push(...result.figures);
  skipped.push(...result.skipped);
  for (const f of result.figures)
    log(
      `${f.env}${f.profile ? `/${f.profile}` : ''} ${f.backend} ${f.items}x${f.dim}: median ${f.medianMs.toFixed(2)} ms (×${f.speedup.toFixed(2)}), recall ${f.recall10}, ${f.reps} reps`,
    );
  for (const s of result.skipped) log(`${s.env}${s.profile ? `/${s.profile}` : ''} ${s.backend} ${s.items}x${s.dim}: skipped, ${s.reason}`);
}

async function runNode(): Promise<void> {
  await configureTfjs(join(root, 'node_modules/@tensorflow/tfjs-backend-wasm/dist/'));
  bandwidth.node = readBandwidth(256 << 20, 5);
  for (const req of requests('node', CPU_METHODS)) report(await measureConfig(req));
}

async function buildPage(): Promise<string> {
  const outDir = join(root, '.cache/bench-topk');
  await build({
    configFile: false,
    root: join(here, 'page'),
    logLevel: 'warn',
    build: { outDir, emptyOutDir: true, target: 'es2022', minify: false, reportCompressedSize: false },
  });
  mkdirSync(join(outDir, 'tfjs-wasm'), { recursive: true });
  const wasmDir = join(root, 'node_modules/@tensorflow/tfjs-backend-wasm/dist');
  for (const file of readdirSync(wasmDir).filter((f) => f.endsWith('.wasm')))
    copyFileSync(join(wasmDir, file), join(outDir, 'tfjs-wasm', file));
  return outDir;
}

const TYPES: Record<string, string> = { '.html': 'text/html', '.js': 'text/javascript', '.wasm': 'application/wasm', '.css': 'text/css' };

function serve(dir: string): Promise<Server> {
  const server = createServer((req, res) => {
    const path = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname);
    const file = resolve(dir, `.${path === '/' ? '/index.html' : path}`);
    if (!file.startsWith(dir)) {
      res.writeHead(403).end();
      return;
    }
    try {
      const body = readFileSync(file);
      // Cross-origin isolation: 5 µs timers instead of 100 µs (and SharedArrayBuffer, so tfjs-wasm may use threads).
      res
        .writeHead(200, {
          'content-type': TYPES[extname(file)] ?? 'application/octet-stream',
          'cross-origin-opener-policy': 'same-origin',
          'cross-origin-embedder-policy': 'require-corp',
        })
        .end(body);
    } catch {
      res.writeHead(404).end();
    }
  });
  return new Promise((ok) => server.listen(PORT, '127.0.0.1', () => ok(server)));
}

async function openPage(browser: Browser): Promise<Page> {
  const page = await browser.newPage();
  page.setDefaultTimeout(0);
  await page.goto(`http://127.0.0.1:${PORT}/`);
  await page.waitForFunction(() => window.tastebudTopk?.ready === true);
  await page.evaluate((path) => window.tastebudTopk.configureTfjs(path), `http://127.0.0.1:${PORT}/tfjs-wasm/`);
  return page;
}

async function runBrowser(): Promise<string> {
  const dir = await buildPage();
  const server = await serve(dir);
  let version = 'unknown';
  try {
    for (const profile of PROFILES) {
      const browser = await chromium.launch({ executablePath: CHROMIUM, args: profile.args });
      version = `Chromium ${browser.version()}`;
      try {
        let page = await openPage(browser);
        if (profile.name === 'cpu') bandwidth.browser = await page.evaluate(() => window.tastebudTopk.readBandwidth(256 << 20, 5));
        for (const req of requests('browser', profile.methods, profile.name)) {
          try {
            report(await page.evaluate((r) => window.tastebudTopk.measureConfig(r), req));
          } catch (error) {
            // A crashed tab (e.g. out of GPU memory in SwiftShader) skips this size; later sizes would fail the same way.
            const reason = `page failed: ${error instanceof Error ? error.message.split('\n')[0] : String(error)}`;
            for (const m of profile.methods)
              report({
                figures: [],
                skipped: [{ env: 'browser', profile: profile.name, backend: m, items: req.items, dim: req.dim, reason }],
              });
            await page.close().catch(() => {});
            page = await openPage(browser);
          }
        }
      } finally {
        await browser.close();
      }
    }
  } finally {
    server.close();
  }
  return version;
}

log(`top-k bench${quick ? ' (quick)' : ''}: Node first, then Chromium profiles ${PROFILES.map((p) => p.name).join(', ')}`);
await runNode();
const browser = await runBrowser();
const result = {
  topk: figures,
  skipped,
  bandwidthGBs: bandwidth,
  browser,
  node: process.version,
  machine: `${cpus()[0]?.model ?? 'unknown CPU'} × ${cpus().length} logical cores, ${(totalmem() / 2 ** 30).toFixed(0)} GiB, Linux ${release()}`,
  date: new Date().toISOString(),
  loadAverage: { atStart: loadAtStart, atEnd: loadavg().map((x) => Number(x.toFixed(1))) },
  quick,
  notes:
    'medianMs/minMs/p95Ms per query (top-10 of one query incl. reading the result); baselineMedianMs is js-baseline in the same env/profile; gbPerSec = 4·items·dim bytes / median; bytesMoved = bytes the method reads; bandwidthGBs = a WASM SIMD sequential read of 256 MiB (the ceiling).',
};
mkdirSync(dirname(resolve(outFile)), { recursive: true });
writeFileSync(outFile, `${JSON.stringify(result, null, 2)}\n`);
log(`wrote ${outFile}: ${figures.length} figures, ${skipped.length} skipped`);
