/** Runs every per-backend measure on the bench page (runner side, Node). */
import type { Page } from '@playwright/test';
import type { BackendName, WasmInfo } from '../common/types';
import type { SessionOptions, StartupSample } from './browser/protocol';
import type { Plan } from './plan';
import { ANCHORS, type EncoderEntry, type MemoryEntry, type RecommendEntry, type StartupEntry } from './report';
import { median, round, summarize } from './stats';
import type { WorkerHeapProbe } from './worker-heap';

export const CATALOGS = [
  { items: 3706, model: '/models/sasrec-3706/manifest.json' },
  { items: 100_000, model: '/models/sasrec-100k/manifest.json' },
] as const;
export const HISTORY_LENGTH = 200;

export interface BackendResults {
  recommend: RecommendEntry[];
  memory: MemoryEntry[];
  startup: StartupEntry | null;
  encoders: EncoderEntry[];
  /** upsertItems() of a catalog that was not stored yet, by size. */
  catalogUpsertMs: Record<number, number>;
  /** How the wasm backend ran (SIMD, threads and why not more), when this backend is wasm. */
  wasm?: WasmInfo;
  notes: string[];
}

export interface BackendContext {
  page: Page;
  backend: BackendName;
  plan: Plan;
  heap: WorkerHeapProbe;
  /** Empties the HTTP cache (cold start). */
  clearHttpCache: () => Promise<void>;
  reload: () => Promise<void>;
  log: (message: string) => void;
}

async function recommendRun(
  ctx: BackendContext,
  out: BackendResults,
  items: number,
  model: string | undefined,
  calls: number,
  memoryCalls: number,
): Promise<void> {
  const { page, backend, plan } = ctx;
  const options: SessionOptions = {
    backends: [backend],
    dbName: `bench-catalog-${items}`,
    items,
    historyLength: HISTORY_LENGTH,
    ...(model ? { sequenceModel: model } : {}),
  };
  const ready = await page.evaluate((o) => window.bench.open(o), options);
  try {
    if (ready.backend !== backend) throw new Error(`asked for ${backend}, got ${ready.backend}`);
    if (backend === 'wasm' && !out.wasm) {
      const wasm = (await page.evaluate(() => window.bench.info())).wasm;
      if (wasm) out.wasm = wasm;
    }
    if (ready.catalogMs > 0) out.catalogUpsertMs[items] = round(ready.catalogMs);
    await page.evaluate((n) => window.bench.recommendTimes(n), plan.warmup);
    const before = memoryCalls > 0 ? { info: await page.evaluate(() => window.bench.info()), heap: await ctx.heap.usedBytes() } : null;
    const times = await page.evaluate((n) => window.bench.recommendTimes(n), calls);
    const s = summarize(times);
    out.recommend.push({ backend, items, model: model ? 'sasrec' : 'popularity', ...s, p50Ms: s.medianMs, warmup: plan.warmup });
    ctx.log(`${backend} recommend ${model ? 'sasrec' : 'popularity'} ${items}: p50 ${s.medianMs} ms p95 ${s.p95Ms} ms (${calls} calls)`);
    if (before) {
      // Heap checkpoints about every tenth of the run: a one-time cache fills early and stays flat; a leak keeps growing.
      const heapSeries = [before.heap, await ctx.heap.usedBytes()];
      const seriesCalls = [0, calls];
      const step = Math.max(20, Math.ceil(memoryCalls / 10));
      for (let done = calls; done < memoryCalls;) {
        const chunk = Math.min(step, memoryCalls - done);
        await page.evaluate((n) => window.bench.recommendTimes(n), chunk);
        done += chunk;
        heapSeries.push(await ctx.heap.usedBytes());
        seriesCalls.push(done);
      }
      const after = await page.evaluate(() => window.bench.info());
      const heapAfter = heapSeries[heapSeries.length - 1]!;
      out.memory.push({
        backend,
        items,
        calls: memoryCalls,
        tensorsBefore: before.info.memory.tensors,
        tensorsAfter: after.memory.tensors,
        tensorBytesBefore: before.info.memory.bytes,
        tensorBytesAfter: after.memory.bytes,
        workerHeapBefore: before.heap,
        workerHeapAfter: heapAfter,
        workerHeapSeries: heapSeries,
        workerHeapSeriesCalls: seriesCalls,
      });
      ctx.log(
        `${backend} memory over ${memoryCalls} calls: tensors ${before.info.memory.tensors} → ${after.memory.tensors}, heap ${before.heap} → ${heapAfter}`,
      );
    }
  } finally {
    await page.evaluate(() => window.bench.close());
  }
}

async function startupRuns(ctx: BackendContext): Promise<StartupEntry> {
  const { page, backend, plan } = ctx;
  const catalog = CATALOGS[0];
  const cold: StartupSample[] = [];
  const warm: StartupSample[] = [];
  let options: SessionOptions | null = null;
  for (let i = 0; i < plan.coldStarts; i++) {
    options = {
      backends: [backend],
      dbName: `bench-startup-${backend}-${Date.now()}-${i}`,
      items: catalog.items,
      historyLength: HISTORY_LENGTH,
      sequenceModel: catalog.model,
    };
    const seedOptions = { ...options, sequenceModel: undefined };
    await page.evaluate((o) => window.bench.seed(o), seedOptions);
    await ctx.clearHttpCache();
    await ctx.reload();
    cold.push(await page.evaluate((o) => window.bench.startup(o), options));
  }
  for (let i = 0; i < plan.warmStarts && options; i++) {
    await ctx.reload();
    warm.push(await page.evaluate((o) => window.bench.startup(o), options));
  }
  const med = (samples: StartupSample[], pick: (s: StartupSample) => number): number =>
    round(median(samples.map(pick).sort((a, b) => a - b)));
  const entry: StartupEntry = {
    backend,
    cold: summarize(cold.map((s) => s.totalMs)),
    warm: summarize(warm.map((s) => s.totalMs)),
    warmCreateMs: med(warm, (s) => s.createMs),
    warmBackendMs: med(warm, (s) => s.backendMs),
    warmModelLoadMs: med(warm, (s) => s.modelLoadMs),
    warmFirstRecommendMs: med(warm, (s) => s.firstRecommendMs),
    warmupCostMs: med(warm, (s) => s.firstRecommendMs - s.secondRecommendMs),
    coldModelLoadMs: med(cold, (s) => s.modelLoadMs),
  };
  ctx.log(
    `${backend} start-up: cold ${entry.cold.medianMs} ms, warm ${entry.warm.medianMs} ms (backend ${entry.warmBackendMs}, model ${entry.warmModelLoadMs}, first recommend ${entry.warmFirstRecommendMs})`,
  );
  return entry;
}

async function encoderRuns(ctx: BackendContext, kind: 'text' | 'image'): Promise<EncoderEntry> {
  const { page, backend, plan } = ctx;
  const runs = kind === 'text' ? plan.textRuns : plan.imageRuns;
  const count = kind === 'text' ? plan.textItems : plan.images;
  const perItem: number[] = [];
  for (let i = 0; i < runs; i++) {
    const options = {
      backends: [backend],
      dbName: `bench-${kind}-${backend}-${Date.now()}-${i}`,
      count,
      model: `/models/${kind}/manifest.json`,
    };
    const sample =
      kind === 'text'
        ? await page.evaluate((o) => window.bench.encodeText(o), options)
        : await page.evaluate((o) => window.bench.encodeImages(o), options);
    if (sample.encoded !== count) throw new Error(`${kind}: encoded ${sample.encoded} of ${count}`);
    perItem.push(Math.max(0, sample.encodeMs - sample.storeOnlyMs) / count);
  }
  const s = summarize(perItem);
  const entry: EncoderEntry = {
    backend,
    kind,
    count,
    perItem: s,
    itemsPerSec: round(1000 / s.medianMs, 1),
    ...(kind === 'image' ? { anchorMsPerItem: ANCHORS.mobilenetMsPerImage } : {}),
  };
  ctx.log(`${backend} ${kind} encoder: ${s.medianMs} ms/item over ${runs} × ${count}`);
  return entry;
}

/** Each measure is independent: one that fails is noted and the rest still run. */
export async function measureBackend(ctx: BackendContext, only?: 'memory' | 'text'): Promise<BackendResults> {
  const out: BackendResults = { recommend: [], memory: [], startup: null, encoders: [], catalogUpsertMs: {}, notes: [] };
  const attempt = async (what: string, fn: () => Promise<void>): Promise<void> => {
    try {
      await fn();
    } catch (err) {
      const message = `${ctx.backend}: ${what} failed: ${err instanceof Error ? err.message.split('\n')[0] : String(err)}`;
      ctx.log(message);
      out.notes.push(message);
      await ctx.page.evaluate(() => window.bench.close()).catch(() => undefined);
    }
  };
  const { plan } = ctx;
  if (only === 'text') {
    await attempt('text encoder', async () => {
      out.encoders.push(await encoderRuns(ctx, 'text'));
    });
    return out;
  }
  if (only === 'memory') {
    const catalog = CATALOGS[0];
    await attempt(`recommend SASRec ${catalog.items}`, () =>
      recommendRun(ctx, out, catalog.items, catalog.model, plan.calls, plan.memoryCalls),
    );
    return out;
  }
  for (const catalog of CATALOGS) {
    const small = catalog.items === CATALOGS[0].items;
    const calls = small ? plan.calls : plan.bigCalls;
    await attempt(`recommend SASRec ${catalog.items}`, () =>
      recommendRun(ctx, out, catalog.items, catalog.model, calls, small ? plan.memoryCalls : 0),
    );
    await attempt(`recommend popularity ${catalog.items}`, () => recommendRun(ctx, out, catalog.items, undefined, calls, 0));
  }
  await attempt('start-up', async () => {
    out.startup = await startupRuns(ctx);
  });
  await attempt('text encoder', async () => {
    out.encoders.push(await encoderRuns(ctx, 'text'));
  });
  await attempt('image encoder', async () => {
    out.encoders.push(await encoderRuns(ctx, 'image'));
  });
  return out;
}
