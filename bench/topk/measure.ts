/**
 * The top-k measurements, shared by the Node runner (run.ts) and the Chromium
 * page (page/main.ts): no Node imports. One call measures every requested
 * method on one (items, dim) configuration against the plain-JS baseline.
 */
import * as tf from '@tensorflow/tfjs';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import { createVectorIndex, type VectorIndexOptions } from '../../workers/ranking/scan/index';
import { ensureMemory, instantiateScan } from '../../workers/ranking/scan/wasm';
import { topK } from '../../workers/ranking/topk';
import { mulberry32 } from '../../common/random';

export const K = 10;
/** Untimed queries before the timed ones. */
const WARM_QUERIES = 3;

export type Method =
  'js-baseline' | 'scan-int8-wasm' | 'scan-f32-wasm' | 'scan-int8-js' | 'tfjs-cpu' | 'tfjs-wasm' | 'tfjs-webgl' | 'tfjs-webgpu';

export interface TopkFigure {
  env: 'browser' | 'node';
  /** Browser profile (Chromium flags) the figure was taken in; absent for Node. */
  profile?: string;
  backend: Method;
  items: number;
  dim: number;
  medianMs: number;
  minMs: number;
  p95Ms: number;
  baselineMedianMs: number;
  speedup: number;
  /** 4·items·dim bytes (the f32 matrix) per median query. */
  gbPerSec: number;
  /** Bytes the method actually reads per query, and that over the median. */
  bytesMoved: number;
  gbPerSecMoved: number;
  /** Share of the top-10 of exact f32 scores (the baseline's answer) that the method returned. */
  recall10: number;
  reps: number;
  /** One-off cost: index build / tensor upload. */
  setupMs: number;
  /** scan-*: mean rows re-scored exactly per query. */
  rescored?: number;
}

export interface Skipped {
  env: 'browser' | 'node';
  profile?: string;
  backend: Method;
  items: number;
  dim: number;
  reason: string;
}

export interface ConfigRequest {
  env: 'browser' | 'node';
  profile?: string;
  items: number;
  dim: number;
  methods: Method[];
  maxReps: number;
  /** Timed work per figure: reps = clamp(budgetMs / one warm query, 3, maxReps). */
  budgetMs: number;
  /** A method whose warm query takes (or is predicted from the previous size to take) longer is skipped. */
  skipMs: number;
  seed: number;
}

export interface ConfigResult {
  figures: TopkFigure[];
  skipped: Skipped[];
}

/** Triangular noise in [-1, 1]: cheap to make in bulk, and not uniform. */
export function makeVectors(count: number, dim: number, seed: number): Float32Array {
  const random = mulberry32(seed);
  const out = new Float32Array(count * dim);
  for (let i = 0; i < out.length; i++) out[i] = random() - random();
  return out;
}

/** Exact top-k like workers/ranking (scores in a Float32Array from float64 sums, then the heap of topk.ts). */
export function baselineTopK(vectors: Float32Array, dim: number, query: Float32Array, k: number): number[] {
  const n = vectors.length / dim;
  const scores = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    const o = i * dim;
    let dot = 0;
    for (let d = 0; d < dim; d++) dot += vectors[o + d]! * query[d]!;
    scores[i] = dot;
  }
  return topK(scores, k);
}

export function summarize(times: number[]): { minMs: number; medianMs: number; p95Ms: number } {
  const t = [...times].sort((a, b) => a - b);
  const mid = t.length >> 1;
  const median = t.length % 2 ? t[mid]! : (t[mid - 1]! + t[mid]!) / 2;
  return { minMs: t[0]!, medianMs: median, p95Ms: t[Math.min(t.length - 1, Math.ceil(0.95 * t.length) - 1)]! };
}

/** Sequential read bandwidth (GB/s) of a `bytes`-byte buffer by the WASM kernel: the ceiling for any scan here. */
export function readBandwidth(bytes: number, reps: number): number {
  const scan = instantiateScan();
  if (!scan) return Number.NaN;
  const size = Math.floor(bytes / 64) * 64;
  ensureMemory(scan.memory, size);
  new Uint8Array(scan.memory.buffer, 0, size).fill(1);
  const times: number[] = [];
  for (let r = 0; r < reps + 1; r++) {
    const t0 = performance.now();
    scan.sumI32(0, size);
    if (r > 0) times.push(performance.now() - t0);
  }
  return size / (summarize(times).minMs / 1000) / 1e9;
}

export async function configureTfjs(wasmPath: string): Promise<void> {
  setWasmPaths(wasmPath);
  if (typeof navigator !== 'undefined' && 'gpu' in navigator) await import('@tensorflow/tfjs-backend-webgpu');
}

interface Runner {
  setup(): Promise<void>;
  query(q: Float32Array): Promise<number[]>;
  bytesMoved: number;
  rescored?: () => number;
  dispose(): void;
}

const TFJS_BACKEND: Partial<Record<Method, string>> = {
  'tfjs-cpu': 'cpu',
  'tfjs-wasm': 'wasm',
  'tfjs-webgl': 'webgl',
  'tfjs-webgpu': 'webgpu',
};

function runnerFor(method: Method, vectors: Float32Array, dim: number): Runner {
  const n = vectors.length / dim;
  if (method === 'js-baseline') {
    return { setup: async () => {}, query: async (q) => baselineTopK(vectors, dim, q, K), bytesMoved: 4 * n * dim, dispose: () => {} };
  }
  const tfName = TFJS_BACKEND[method];
  if (tfName) {
    let items: tf.Tensor2D | null = null;
    return {
      async setup() {
        if (!(await tf.setBackend(tfName))) throw new Error(`tfjs backend ${tfName} did not initialise`);
        await tf.ready();
        items = tf.tensor2d(vectors, [n, dim]);
        // First use uploads / compiles; keep it out of setupMs's "per query" share.
        const warm = tf.tidy(() => tf.matMul(tf.zeros([1, dim]), items!, false, true));
        await warm.data();
        warm.dispose();
      },
      async query(q) {
        const { values, indices } = tf.tidy(() => tf.topk(tf.matMul(tf.tensor2d(q, [1, dim]), items!, false, true).reshape([n]), K));
        const out = Array.from(await indices.data());
        tf.dispose([values, indices]);
        return out;
      },
      bytesMoved: 4 * n * dim,
      dispose() {
        items?.dispose();
        items = null;
      },
    };
  }
  const options: VectorIndexOptions =
    method === 'scan-int8-wasm'
      ? { precision: 'int8' }
      : method === 'scan-f32-wasm'
        ? { precision: 'f32' }
        : { precision: 'int8', kernel: 'js' };
  let index: ReturnType<typeof createVectorIndex> | null = null;
  let rescored = 0;
  let queries = 0;
  const runner: Runner = {
    async setup() {
      index = createVectorIndex(vectors, dim, options);
      const want = method === 'scan-int8-js' ? 'js' : 'wasm-simd';
      if (index.kernel !== want) throw new Error(`the ${want} kernel is unavailable here (got ${index.kernel})`);
      runner.bytesMoved = index.bytes;
    },
    async query(q) {
      const r = index!.topK(q, K);
      rescored += r.rescored;
      queries++;
      return Array.from(r.indices);
    },
    bytesMoved: 0,
    rescored: () => (queries ? rescored / queries : 0),
    dispose() {
      index?.dispose();
      index = null;
    },
  };
  return runner;
}

/** Warm time per method and dim at the last size measured, to predict the next size (and skip it when too slow). */
const lastWarm = new Map<string, { items: number; ms: number }>();

async function timed<T>(f: () => Promise<T>): Promise<[T, number]> {
  const t0 = performance.now();
  const value = await f();
  return [value, performance.now() - t0];
}

/**
 * Every method is timed in pairs with the baseline: rep r runs the baseline
 * and the method on query r back to back (alternating which goes first), so a
 * shared, noisy machine loads both alike. The method's `baselineMedianMs` is
 * the median of its own paired baseline runs; the js-baseline figure pools all.
 */
export async function measureConfig(req: ConfigRequest): Promise<ConfigResult> {
  const { items, dim } = req;
  const tag = { env: req.env, ...(req.profile ? { profile: req.profile } : {}), items, dim };
  const skipped: Skipped[] = [];
  const methods: Method[] = [];
  for (const method of req.methods.filter((m) => m !== 'js-baseline')) {
    const prev = lastWarm.get(`${method}/${dim}`);
    if (prev && prev.ms * (items / prev.items) > req.skipMs) {
      skipped.push({
        ...tag,
        backend: method,
        reason: `predicted ${((prev.ms * items) / prev.items / 1000).toFixed(1)} s per query from ${prev.ms.toFixed(0)} ms at ${prev.items} items (limit ${req.skipMs / 1000} s)`,
      });
    } else {
      methods.push(method);
    }
  }
  // Nothing left to pair with the baseline: do not make the data.
  if (methods.length === 0) return { figures: [], skipped };
  const vectors = makeVectors(items, dim, req.seed);
  const queries = Array.from({ length: req.maxReps }, (_, j) => makeVectors(1, dim, req.seed * 1000 + j + 1));
  const figures: TopkFigure[] = [];
  const baseline = runnerFor('js-baseline', vectors, dim);
  let baselineWarmMs = Number.POSITIVE_INFINITY;
  for (let w = 0; w < WARM_QUERIES; w++) [, baselineWarmMs] = await timed(() => baseline.query(queries[w % queries.length]!));
  const allBaselineTimes: number[] = [];
  for (const method of methods) {
    const key = `${method}/${dim}`;
    const runner = runnerFor(method, vectors, dim);
    try {
      const [, setupMs] = await timed(() => runner.setup());
      // A few warm queries: JIT tiers up, GPU shaders compile; the last one decides reps and skips.
      let warmMs = Number.POSITIVE_INFINITY;
      for (let w = 0; w < WARM_QUERIES && !(w > 0 && warmMs > 2 * req.skipMs); w++) {
        [, warmMs] = await timed(() => runner.query(queries[w % queries.length]!));
      }
      lastWarm.set(key, { items, ms: warmMs });
      if (warmMs > req.skipMs) {
        skipped.push({ ...tag, backend: method, reason: `one query took ${(warmMs / 1000).toFixed(1)} s (limit ${req.skipMs / 1000} s)` });
        continue;
      }
      const reps = Math.max(3, Math.min(req.maxReps, Math.floor(req.budgetMs / Math.max(warmMs + baselineWarmMs, 1e-3))));
      const times: number[] = [];
      const baseTimes: number[] = [];
      let hits = 0;
      for (let r = 0; r < reps; r++) {
        const q = queries[r % queries.length]!;
        const baseFirst = r % 2 === 0;
        let truth: number[] = [];
        if (baseFirst) {
          const [t, ms] = await timed(() => baseline.query(q));
          truth = t;
          baseTimes.push(ms);
        }
        const [got, ms] = await timed(() => runner.query(q));
        times.push(ms);
        if (!baseFirst) {
          const [t, bms] = await timed(() => baseline.query(q));
          truth = t;
          baseTimes.push(bms);
        }
        const want = new Set(truth);
        for (const i of got) if (want.has(i)) hits++;
      }
      allBaselineTimes.push(...baseTimes);
      const stats = summarize(times);
      const baselineMedianMs = summarize(baseTimes).medianMs;
      figures.push({
        ...tag,
        backend: method,
        ...stats,
        baselineMedianMs,
        speedup: baselineMedianMs / stats.medianMs,
        gbPerSec: (4 * items * dim) / (stats.medianMs / 1000) / 1e9,
        bytesMoved: runner.bytesMoved,
        gbPerSecMoved: runner.bytesMoved / (stats.medianMs / 1000) / 1e9,
        recall10: hits / (reps * K),
        reps,
        setupMs,
        ...(runner.rescored ? { rescored: runner.rescored() } : {}),
      });
    } catch (error) {
      skipped.push({ ...tag, backend: method, reason: `failed: ${error instanceof Error ? error.message : String(error)}` });
    } finally {
      runner.dispose();
    }
  }
  if (allBaselineTimes.length > 0) {
    const stats = summarize(allBaselineTimes);
    figures.unshift({
      ...tag,
      backend: 'js-baseline',
      ...stats,
      baselineMedianMs: stats.medianMs,
      speedup: 1,
      gbPerSec: (4 * items * dim) / (stats.medianMs / 1000) / 1e9,
      bytesMoved: baseline.bytesMoved,
      gbPerSecMoved: baseline.bytesMoved / (stats.medianMs / 1000) / 1e9,
      recall10: 1,
      reps: allBaselineTimes.length,
      setupMs: 0,
    });
  }
  return { figures, skipped };
}
