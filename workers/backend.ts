/**
 * Picks the tfjs backend: tries each candidate in order, and uses the first one
 * that sets up AND reproduces a golden output (a small matmul and a top-k) —
 * some drivers set up fine and then compute garbage.
 */
import * as tf from '@tensorflow/tfjs';
import type { BackendAttempt, BackendName } from '../common/types';
import { TastebudError } from '../common/errors';

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

async function register(name: BackendName): Promise<string | null> {
  if (name === 'webgpu') {
    if (typeof navigator === 'undefined' || !('gpu' in navigator) || !navigator.gpu)
      return 'WebGPU is not available in this browser (navigator.gpu is missing)';
    await import('@tensorflow/tfjs-backend-webgpu');
    const adapter = await navigator.gpu.requestAdapter();
    if (!adapter) return 'WebGPU has no adapter (GPU blocklisted or disabled)';
  }
  if (name === 'webgl' && typeof OffscreenCanvas === 'undefined') {
    return 'WebGL needs OffscreenCanvas in a worker, which this browser lacks';
  }
  if (name === 'wasm') return 'the wasm backend is not bundled in this build';
  return null;
}

export interface BackendChoice {
  backend: BackendName;
  attempts: BackendAttempt[];
}

/** Tries candidates in order; throws `backend-unavailable` listing every reason if none works. */
export async function selectBackend(candidates: readonly BackendName[]): Promise<BackendChoice> {
  const attempts: BackendAttempt[] = [];
  for (const name of candidates) {
    const started = performance.now();
    let reason: string | null;
    try {
      reason = await register(name);
      if (reason === null) {
        const ok = await tf.setBackend(name);
        if (!ok) reason = `tf.setBackend('${name}') failed to initialise`;
        else {
          await tf.ready();
          reason = await selfTest();
        }
      }
    } catch (err) {
      reason = err instanceof Error ? err.message : String(err);
    }
    attempts.push({ name, ok: reason === null, ms: Math.round(performance.now() - started), ...(reason === null ? {} : { reason }) });
    if (reason === null) return { backend: name, attempts };
  }
  throw new TastebudError(
    'backend-unavailable',
    `No tfjs backend passed its self-test: ${attempts.map((a) => `${a.name}: ${a.reason}`).join('; ')}. Add 'cpu' to options.backends as a last resort.`,
  );
}
