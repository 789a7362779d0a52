// Benchmark page: puts the measures on window.bench for bench/run.ts. Every
// timing runs here, in the page, so Playwright's round trips are not counted.
import { createRecommender } from '../../lib/index';
import type { Recommender } from '../../common/types';
import type { BenchApi, EncodeSample, SessionOptions, SessionReady } from './protocol';
import { catalogItems, history, popularityCounts, posterItems, textItems } from './synthetic';

declare global {
  interface Window {
    bench: BenchApi;
  }
}

const TIMEOUT_MS = 600_000;
let session: Recommender | null = null;

function models(options: SessionOptions): { sequence?: string; popularity: Record<string, number> } {
  return { popularity: popularityCounts(options.items), ...(options.sequenceModel ? { sequence: options.sequenceModel } : {}) };
}

async function seed(options: SessionOptions): Promise<SessionReady> {
  const r = await createRecommender({ backends: options.backends, dbName: options.dbName, timeoutMs: TIMEOUT_MS });
  try {
    const info = await r.info();
    let catalogMs = 0;
    if (info.counts.items !== options.items) {
      const started = performance.now();
      await r.upsertItems(catalogItems(options.items));
      catalogMs = performance.now() - started;
    }
    if (info.counts.userEvents < options.historyLength) await r.track(history(options.historyLength, options.items));
    return { backend: info.backend, catalogMs };
  } finally {
    await r.dispose();
  }
}

async function encode(
  options: { backends: SessionOptions['backends']; dbName: string; count: number; model: string },
  kind: 'text' | 'image',
): Promise<EncodeSample> {
  const make = kind === 'text' ? (n: number, prefix: string) => Promise.resolve(textItems(n, prefix)) : posterItems;
  const warmup = await make(kind === 'text' ? 50 : 2, 'w');
  const measured = await make(options.count, 'e');
  // Storage alone, in its own database (a model-less recommender never encodes).
  const plain = await createRecommender({ backends: options.backends, dbName: `${options.dbName}-store`, timeoutMs: TIMEOUT_MS });
  let started = performance.now();
  await plain.upsertItems(measured);
  const storeOnlyMs = performance.now() - started;
  await plain.dispose();
  const r = await createRecommender({
    backends: options.backends,
    dbName: options.dbName,
    timeoutMs: TIMEOUT_MS,
    models: { [kind]: options.model },
  });
  try {
    await r.upsertItems(warmup); // loads the model and compiles its kernels
    started = performance.now();
    const result = await r.upsertItems(measured);
    const encodeMs = performance.now() - started;
    if (result.failed.length > 0) throw new Error(`${result.failed.length} items failed to encode: ${result.failed[0]!.reason}`);
    return { backend: (await r.info()).backend, count: options.count, encodeMs, storeOnlyMs, encoded: result.encoded };
  } finally {
    await r.dispose();
  }
}

async function timed(fn: () => Promise<unknown>): Promise<number> {
  const started = performance.now();
  await fn();
  return performance.now() - started;
}

window.bench = {
  seed,
  async open(options) {
    if (session) throw new Error('a session is already open');
    const ready = await seed(options);
    session = await createRecommender({
      backends: options.backends,
      dbName: options.dbName,
      timeoutMs: TIMEOUT_MS,
      models: models(options),
    });
    return { ...ready, backend: (await session.info()).backend };
  },
  async recommendTimes(calls) {
    if (!session) throw new Error('no open session');
    const times: number[] = [];
    for (let i = 0; i < calls; i++) {
      const started = performance.now();
      const recs = await session.recommend({ k: 10 });
      times.push(performance.now() - started);
      if (recs.length !== 10) throw new Error(`recommend returned ${recs.length} results`);
    }
    return times;
  },
  async info() {
    if (!session) throw new Error('no open session');
    return session.info();
  },
  async close() {
    await session?.dispose();
    session = null;
  },
  async startup(options) {
    const started = performance.now();
    const r = await createRecommender({
      backends: options.backends,
      dbName: options.dbName,
      timeoutMs: TIMEOUT_MS,
      models: models(options),
    });
    const createMs = performance.now() - started;
    try {
      const first = await r.recommend({ k: 10 });
      const totalMs = performance.now() - started;
      const secondRecommendMs = await timed(() => r.recommend({ k: 10 }));
      const info = await r.info();
      const model = info.models.find((m) => m.kind === 'sequence');
      if (first.length !== 10 || (options.sequenceModel && model?.status !== 'ready'))
        throw new Error(`the sequence model did not serve: ${model?.error ?? 'no model'}`);
      return {
        backend: info.backend,
        totalMs,
        createMs,
        firstRecommendMs: totalMs - createMs,
        secondRecommendMs,
        backendMs: info.backendsTried.reduce((sum, a) => sum + a.ms, 0),
        modelLoadMs: model?.loadMs ?? 0,
      };
    } finally {
      await r.dispose();
    }
  },
  encodeText: (options) => encode(options, 'text'),
  encodeImages: (options) => encode(options, 'image'),
  async indexedDb(options) {
    const r = await createRecommender({ backends: options.backends, dbName: options.dbName, timeoutMs: TIMEOUT_MS });
    const events = history(options.events, 3706, 17).map((e, i) => ({ ...e, at: 2_000_000 + i }));
    const out = {
      batchedMs: [] as number[],
      perEventMs: [] as number[],
      historyReadMs: [] as number[],
      exportMs: [] as number[],
      importMs: [] as number[],
      events: events.length,
    };
    try {
      for (let i = 0; i < options.perEventReps; i++) {
        await r.forget();
        out.perEventMs.push(
          await timed(async () => {
            for (const e of events) await r.track(e);
          }),
        );
      }
      for (let i = 0; i < options.reps; i++) {
        await r.forget();
        out.batchedMs.push(await timed(() => r.track(events)));
      }
      for (let i = 0; i < options.reps; i++) {
        out.historyReadMs.push(
          await timed(async () => {
            const read = await r.history({ limit: events.length });
            if (read.length !== events.length) throw new Error(`history returned ${read.length} events`);
          }),
        );
      }
      const data = await r.exportData();
      if (data.events.length !== events.length) throw new Error(`export has ${data.events.length} events`);
      for (let i = 0; i < options.reps; i++) {
        out.exportMs.push(await timed(() => r.exportData()));
        out.importMs.push(await timed(() => r.importData(data, { mode: 'replace' })));
      }
      return out;
    } finally {
      await r.dispose();
    }
  },
};
document.getElementById('status')!.textContent = 'ready';
