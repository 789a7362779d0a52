/**
 * Picks the tfjs backend: tries each candidate in order, and uses the first one
 * that sets up AND reproduces a golden output (a small matmul and a top-k) —
 * some drivers set up fine and then compute garbage.
 */
import * as tf from '@tensorflow/tfjs';
import type { BackendAttempt, BackendName } from '../../common/types';
import { TastebudError } from '../../common/errors';
import { softwareWebGl, softwareWebGpu } from './emulation';

const TOLERANCE = 1e-3;

/** Deterministic inputs whose exact results we know without tfjs. */
function goldenInputs(): { a: number[]; b: number[]; m: number; n: number; p: number } {
  const m = 4;
  const n = 8;
  const p = 16;
  const a = Array.from({ length: m * n }, (_, i) => ((i * 7) % 11) / 4 - 1);
  const b = Array.from({ length: n * p }, (_, i) => ((i * 5) % 13) / 8 - 0.75);
  return { a, b, m, n, p };
}

function referenceMatmul(a: number[], b: number[], m: number, n: number, p: number): number[] {
  const out = new Array<number>(m * p).fill(0);
  for (let i = 0; i < m; i++)
    for (let j = 0; j < p; j++) {
      let s = 0;
      for (let k = 0; k < n; k++) s += a[i * n + k]! * b[k * p + j]!;
      out[i * p + j] = s;
    }
  return out;
}

/** Runs the self-test on the active backend; resolves to a failure reason or null. */
export async function selfTest(): Promise<string | null> {
  const { a, b, m, n, p } = goldenInputs();
  const expected = referenceMatmul(a, b, m, n, p);
  const row0 = expected.slice(0, p);
  const expectedTop = row0
    .map((v, i) => [v, i] as const)
    .sort((x, y) => y[0] - x[0] || x[1] - y[1])
    .slice(0, 3)
    .map(([, i]) => i);
  const product = tf.tidy(() => tf.matMul(tf.tensor2d(a, [m, n]), tf.tensor2d(b, [n, p])));
  const firstRow = tf.tidy(() => product.slice([0, 0], [1, p]).reshape([p]));
  const top = tf.topk(firstRow, 3);
  try {
    const got = await product.data();
    for (let i = 0; i < expected.length; i++) {
      if (!(Math.abs(got[i]! - expected[i]!) <= TOLERANCE)) {
        return `self-test matmul mismatch at ${i}: got ${got[i]}, expected ${expected[i]}`;
      }
    }
    const gotTop = Array.from(await top.indices.data());
    if (gotTop.join(',') !== expectedTop.join(',')) return `self-test top-k mismatch: got [${gotTop}], expected [${expectedTop}]`;
    return null;
  } finally {
    tf.dispose([product, firstRow, top.values, top.indices]);
  }
}

/** A software-emulated GPU, found before its backend is set up; tried again after wasm. */
interface Emulated {
  reason: string;
}

/** Sets up what `name` needs before tf.setBackend(); resolves to a failure reason, an emulation found, or null. */
async function register(name: BackendName, demoteEmulated: boolean): Promise<string | Emulated | null> {
  if (name === 'webgpu') {
    if (typeof navigator === 'undefined' || !('gpu' in navigator) || !navigator.gpu)
      return 'WebGPU is not available in this browser (navigator.gpu is missing)';
    // The adapter first: without one, the WebGPU chunk is never downloaded.
    const adapter = await navigator.gpu.requestAdapter();
    if (!adapter) return 'WebGPU has no adapter (GPU blocklisted or disabled)';
    const software = demoteEmulated ? softwareWebGpu(adapter) : null;
    if (software) return { reason: `software-emulated GPU (${software}): slower than wasm here, tried after it` };
    await import('@tensorflow/tfjs-backend-webgpu');
  }
  if (name === 'webgl') {
    if (typeof OffscreenCanvas === 'undefined') return 'WebGL needs OffscreenCanvas in a worker, which this browser lacks';
    const software = demoteEmulated ? softwareWebGl() : null;
    if (software) return { reason: `software-emulated GPU (${software}): slower than wasm here, tried after it` };
  }
  if (name === 'wasm') return (await import('./wasm')).prepareWasm();
  return null;
}

export interface BackendChoice {
  backend: BackendName;
  attempts: BackendAttempt[];
}

export interface SelectOptions {
  /**
   * Try a software-emulated WebGPU / WebGL (SwiftShader, llvmpipe) only after wasm: true for
   * the default order, false when the caller listed the backends (then their order holds).
   */
  demoteEmulated?: boolean;
}

async function attempt(name: BackendName, demoteEmulated: boolean): Promise<{ attempt: BackendAttempt; emulated: boolean }> {
  const started = performance.now();
  let reason: string | null;
  let selfTestMs: number | undefined;
  try {
    const registered = await register(name, demoteEmulated);
    if (registered !== null && typeof registered === 'object') {
      return { attempt: { name, ok: false, reason: registered.reason, ms: Math.round(performance.now() - started) }, emulated: true };
    }
    reason = registered;
    if (reason === null) {
      const ok = await tf.setBackend(name);
      if (!ok) reason = `tf.setBackend('${name}') failed to initialise`;
      else {
        await tf.ready();
        const testStarted = performance.now();
        reason = await selfTest();
        selfTestMs = Math.round(performance.now() - testStarted);
      }
    }
  } catch (err) {
    reason = err instanceof Error ? err.message : String(err);
  }
  const ms = Math.round(performance.now() - started);
  return {
    attempt: { name, ok: reason === null, ms, ...(reason === null ? {} : { reason }), ...(selfTestMs === undefined ? {} : { selfTestMs }) },
    emulated: false,
  };
}

/**
 * Tries candidates in order and uses the first that sets up and passes the self-test;
 * with `demoteEmulated`, a software-emulated GPU backend is skipped on the first pass and
 * tried again after the others (before `cpu`, after `wasm`). Throws `backend-unavailable`
 * listing every reason if none works.
 */
export async function selectBackend(candidates: readonly BackendName[], options: SelectOptions = {}): Promise<BackendChoice> {
  const attempts: BackendAttempt[] = [];
  const later: BackendName[] = [];
  const queue = [...candidates];
  while (queue.length > 0) {
    const name = queue.shift()!;
    // A demoted GPU goes back in just before cpu, i.e. after every other non-cpu backend.
    if (name === 'cpu' && later.length > 0) {
      queue.unshift(...later.splice(0), 'cpu');
      continue;
    }
    const demote = options.demoteEmulated === true && !later.includes(name) && !attempts.some((a) => a.name === name);
    const { attempt: tried, emulated } = await attempt(name, demote);
    attempts.push(tried);
    if (emulated) later.push(name);
    else if (tried.ok) return { backend: name, attempts };
  }
  for (const name of later) {
    const { attempt: tried } = await attempt(name, false);
    attempts.push(tried);
    if (tried.ok) return { backend: name, attempts };
  }
  throw new TastebudError(
    'backend-unavailable',
    `No tfjs backend passed its self-test: ${attempts.map((a) => `${a.name}: ${a.reason}`).join('; ')}. Add 'cpu' to options.backends as a last resort.`,
  );
}
