/**
 * The browser benchmark: `npm run bench` (or `npm run bench:quick`).
 *   node --import tsx bench/run.ts [--quick] [--backends webgpu,webgl,wasm,cpu] [--topk run|skip] [--port 4311] [--memory-calls N] [--render] [--allow-busy]
 *   node --import tsx bench/run.ts --only memory --memory-calls 1000 [--backends …]
 *     (only the leak check; replaces the committed memory rows of the backends it measures)
 *   node --import tsx bench/run.ts --only text --text-items 10000 [--backends …]
 *     (only the text encoder at that catalog size; adds or replaces rows of that size)
 * Builds the bench page, runs every measure in Debian Chromium per backend
 * (Playwright), measures bundle and model sizes, merges the top-k figures from
 * bench/topk/run.ts when it exists, writes bench/results/browser.json and
 * rewrites the table in docs/performance.md. Slow numbers never fail it.
 */
import { chromium, type BrowserContext } from '@playwright/test';
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, release, totalmem } from 'node:os';
import { join } from 'node:path';
import type { BackendName } from '../common/types';
import { BENCH_PUBLIC, makeBenchModels } from './make-bench-models';
import { measureBackend, type BackendResults } from './measure-backend';
import { buildPage, servePage } from './page-server';
import { indexedDbPlan, planFor, type Mode } from './plan';
import { renderTable, replaceBetweenMarkers, type BrowserResults, type IndexedDbResult, type TopkEntry } from './report';
import { measureBundles, measureModels } from './sizes';
import { round, summarize } from './stats';
import { loadOrRefuse, MAX_IDLE_LOAD } from './idle';
import { runTopk } from './topk-merge';
import { probeWorkerHeap } from './worker-heap';

const root = join(import.meta.dirname, '..');
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
// The same flags as playwright.config.ts.
const BASE_ARGS = [
  '--no-sandbox',
  '--disable-dev-shm-usage',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];
const BACKEND_ARGS: Record<string, string[]> = {
  webgpu: ['--enable-unsafe-webgpu', '--use-webgpu-adapter=swiftshader', '--enable-unsafe-swiftshader'],
  webgl: ['--enable-unsafe-swiftshader', '--use-angle=swiftshader'],
  wasm: [],
  cpu: [],
};

/** Here WebGPU and WebGL run on SwiftShader: their rows say so, and never stand for a GPU's speed. */
const EMULATED = new Set<string>(['webgpu', 'webgl']);

/** The document whose table, between the bench markers, every run rewrites. */
const PERFORMANCE_DOC = join(root, 'docs/performance.md');

function writePerformanceTable(results: BrowserResults): void {
  writeFileSync(PERFORMANCE_DOC, replaceBetweenMarkers(readFileSync(PERFORMANCE_DOC, 'utf8'), renderTable(results), 'docs/performance.md'));
}

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

const mode: Mode = process.argv.includes('--quick') ? 'quick' : 'full';
const backends = (arg('backends') ?? 'webgpu,webgl,wasm,cpu').split(',') as BackendName[];
const loadBefore = loadOrRefuse(process.argv.includes('--allow-busy') || process.argv.includes('--render'));
const topkMode = arg('topk') ?? 'run';
const port = Number(arg('port') ?? 4311);
const memoryCalls = arg('memory-calls') === undefined ? undefined : Number(arg('memory-calls'));
const textItems = arg('text-items') === undefined ? undefined : Number(arg('text-items'));
const only = arg('only');
if (only !== undefined && only !== 'memory' && only !== 'text') throw new Error(`--only takes "memory" or "text", got "${only}"`);
const started = Date.now();
const log = (message: string): void => console.log(`[bench ${((Date.now() - started) / 1000).toFixed(0)}s] ${message}`);

async function withBackend(
  backend: BackendName,
  url: string,
  profile: string,
  fn: (context: BrowserContext) => Promise<void>,
): Promise<void> {
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: [...BASE_ARGS, ...(BACKEND_ARGS[backend] ?? [])],
  });
  try {
    const page = context.pages()[0] ?? (await context.newPage());
    page.on('pageerror', (err) => log(`page error: ${err.message}`));
    await page.goto(url);
    await page.waitForFunction(() => document.getElementById('status')?.textContent === 'ready');
    await fn(context);
  } finally {
    await context.close();
  }
}

/**
 * `--only memory`: the leak check alone; its rows replace the committed memory rows of the backends it measured.
 * `--only text`: the text encoder alone (e.g. `--text-items 10000`); its rows replace committed rows of the same backend and size.
 */
async function partialRun(part: 'memory' | 'text'): Promise<void> {
  log(`${part} only, backends ${backends.join(', ')}`);
  makeBenchModels();
  await buildPage();
  const profile = join(root, 'bench/.build/profile');
  rmSync(profile, { recursive: true, force: true });
  mkdirSync(profile, { recursive: true });
  const server = await servePage(port);
  const perBackend: BackendResults[] = [];
  const notes: string[] = [];
  try {
    for (const backend of backends) {
      await withBackend(backend, server.url, profile, async (context) => {
        const page = context.pages()[0]!;
        const heap = await probeWorkerHeap(page);
        perBackend.push(
          await measureBackend(
            {
              page,
              backend,
              plan: {
                ...planFor(backend, mode),
                ...(memoryCalls ? { memoryCalls } : {}),
                ...(textItems ? { textItems, textRuns: 2 } : {}),
              },
              heap,
              log,
              clearHttpCache: async () => undefined,
              reload: async () => undefined,
            },
            part,
          ),
        );
        await heap.close();
      }).catch((err: unknown) => {
        notes.push(`${backend}: could not run (${part} check): ${err instanceof Error ? err.message.split('\n')[0] : String(err)}`);
      });
    }
  } finally {
    await server.close();
  }
  const file = join(root, 'bench/results/browser.json');
  const results = JSON.parse(readFileSync(file, 'utf8')) as BrowserResults;
  const browser = execFileSync(CHROMIUM, ['--version'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  const run = { date: new Date().toISOString(), durationS: Math.round((Date.now() - started) / 1000), browser };
  if (part === 'memory') {
    const measured = perBackend.flatMap((r) => r.memory);
    // Rows of backends not measured in this run stay as they were.
    results.memory = [...results.memory.filter((m) => !measured.some((x) => x.backend === m.backend)), ...measured];
    results.memoryRun = run;
  } else {
    const measured = perBackend.flatMap((r) => r.encoders.map((e) => ({ ...e, run })));
    results.encoders = [
      ...results.encoders.filter((e) => !measured.some((x) => x.backend === e.backend && x.kind === e.kind && x.count === e.count)),
      ...measured,
    ];
  }
  results.notes = [
    ...results.notes.filter((n) => !n.endsWith(`(${part} check)`)),
    ...notes,
    ...perBackend.flatMap((r) => r.notes.map((n) => `${n} (${part} check)`)),
  ];
  writeFileSync(file, `${JSON.stringify(results, null, 2)}\n`);
  writePerformanceTable(results);
  log(`wrote the ${part} rows of ${file} and the table in docs/performance.md`);
}

async function main(): Promise<void> {
  const notes: string[] = [];
  log(`mode ${mode}, backends ${backends.join(', ')}`);
  makeBenchModels();
  await buildPage();
  log('bench page built');
  const size = { ...(await measureBundles()), models: measureModels(join(BENCH_PUBLIC, 'models')) };
  log(`sizes: main ${size.mainGzipBytes} B gzip, worker ${size.workerGzipBytes} B gzip`);
  const browser = execFileSync(CHROMIUM, ['--version'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  // One profile for the whole run: catalogs stored once are reused by every backend; cold starts use fresh databases and an emptied HTTP cache.
  const profile = join(root, 'bench/.build/profile');
  rmSync(profile, { recursive: true, force: true });
  mkdirSync(profile, { recursive: true });
  const server = await servePage(port);
  const perBackend: BackendResults[] = [];
  let indexeddb: IndexedDbResult | null = null;
  try {
    for (const backend of backends) {
      log(`${backend}: starting ${CHROMIUM}`);
      await withBackend(backend, server.url, profile, async (context) => {
        const page = context.pages()[0]!;
        const heap = await probeWorkerHeap(page);
        const cdp = await context.newCDPSession(page);
        const results = await measureBackend({
          page,
          backend,
          plan: { ...planFor(backend, mode), ...(memoryCalls ? { memoryCalls } : {}) },
          heap,
          log,
          clearHttpCache: async () => {
            await cdp.send('Network.clearBrowserCache');
          },
          reload: async () => {
            await page.reload();
            await page.waitForFunction(() => document.getElementById('status')?.textContent === 'ready');
          },
        });
        perBackend.push(results);
        if (!indexeddb && backend === (backends.includes('cpu') ? 'cpu' : backends[backends.length - 1])) {
          const plan = indexedDbPlan(mode);
          log(`IndexedDB: ${plan.events} events, ${plan.reps} reps (per-event: ${plan.perEventReps})`);
          const raw = await page.evaluate((o) => window.bench.indexedDb(o), {
            backends: [backend],
            dbName: `bench-idb-${Date.now()}`,
            ...plan,
          });
          const batched = summarize(raw.batchedMs);
          const perEvent = summarize(raw.perEventMs);
          indexeddb = {
            events: raw.events,
            batched10kMs: batched.medianMs,
            perEvent10kMs: perEvent.medianMs,
            batched,
            perEvent,
            speedup: round(perEvent.medianMs / batched.medianMs, 1),
            historyRead: summarize(raw.historyReadMs),
            export: summarize(raw.exportMs),
            import: summarize(raw.importMs),
          };
          log(`IndexedDB: batched ${batched.medianMs} ms, per event ${perEvent.medianMs} ms`);
        }
        await heap.close();
      }).catch((err: unknown) => {
        notes.push(`${backend}: could not run: ${err instanceof Error ? err.message.split('\n')[0] : String(err)}`);
      });
    }
  } finally {
    await server.close();
  }
  let topk: TopkEntry[] = [];
  if (topkMode === 'skip') notes.push('top-k: skipped (--topk skip).');
  else {
    log(`top-k: bench/topk/run.ts${mode === 'quick' ? ' --quick' : ''}`);
    topk = runTopk(
      { script: join(root, 'bench/topk/run.ts'), out: join(root, 'bench/.build/topk.json'), quick: mode === 'quick', cwd: root },
      notes,
    );
  }
  const upsert100k = perBackend.map((r) => r.catalogUpsertMs[100_000]).find((v) => v !== undefined);
  if (indexeddb && upsert100k !== undefined) (indexeddb as IndexedDbResult).upsert100kItemsMs = upsert100k;
  const startups = perBackend.flatMap((r) => (r.startup ? [r.startup] : []));
  const fastest = [...startups].sort((a, b) => a.warm.medianMs - b.warm.medianMs)[0];
  const results: BrowserResults = {
    browser,
    machine: {
      cpu: cpus()[0]?.model ?? 'unknown',
      cores: cpus().length,
      memoryGiB: round(totalmem() / 2 ** 30, 1),
      os: `${process.platform} ${release()}`,
      node: process.version,
    },
    date: new Date().toISOString(),
    mode,
    durationS: Math.round((Date.now() - started) / 1000),
    load: { before: round(loadBefore, 2), after: round(loadavg()[0]!, 2), busy: loadBefore > MAX_IDLE_LOAD },
    emulated: backends.filter((b) => EMULATED.has(b)),
    wasm: perBackend.find((r) => r.wasm)?.wasm ?? null,
    notes: [
      ...notes,
      ...perBackend.flatMap((r) => r.notes),
      ...backends
        .filter((b) => EMULATED.has(b))
        .map((b) => `${b}: emulated (SwiftShader) on this machine: a correctness row, not a GPU's speed.`),
    ],
    topk,
    recommend: perBackend.flatMap((r) => r.recommend),
    memory: perBackend.flatMap((r) => r.memory),
    startup: {
      coldMs: fastest?.cold.medianMs ?? NaN,
      warmMs: fastest?.warm.medianMs ?? NaN,
      backend: fastest?.backend ?? 'none',
      perBackend: startups,
    },
    encoders: perBackend.flatMap((r) => r.encoders),
    indexeddb,
    size,
  };
  const file = join(root, 'bench/results/browser.json');
  writeFileSync(file, `${JSON.stringify(results, null, 2)}\n`);
  writePerformanceTable(results);
  log(`wrote ${file} and the table in docs/performance.md (${results.durationS} s)`);
}

/** `--render`: rewrite the docs/performance.md table from the committed results without measuring. */
function renderOnly(): void {
  const results = JSON.parse(readFileSync(join(root, 'bench/results/browser.json'), 'utf8')) as BrowserResults;
  writePerformanceTable(results);
  log('rewrote the table in docs/performance.md from bench/results/browser.json');
}

if (process.argv.includes('--render')) renderOnly();
else if (only === 'memory' || only === 'text') await partialRun(only);
else await main();
