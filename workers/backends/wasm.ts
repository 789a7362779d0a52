/**
 * The tfjs-backend-wasm set-up inside the worker: its .wasm binaries ship in the
 * package and are resolved relative to the worker script (never a CDN), SIMD
 * where the browser has it, threads when the page is cross-origin isolated.
 * Imported lazily by select.ts, so a start that never tries wasm never loads it.
 */
import * as tf from '@tensorflow/tfjs';
import { setThreadsCount, setWasmPaths, getThreadsCount } from '@tensorflow/tfjs-backend-wasm';
import plainUrl from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm?url';
import simdUrl from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-simd.wasm?url';
import threadedSimdUrl from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-threaded-simd.wasm?url';
import type { WasmInfo } from '../../common/types';
import { registerWasmKernels } from './wasm-kernels';

/** More threads than this gain little for models of our size and take cores from the page. */
export const MAX_WASM_THREADS = 4;

/** The smallest valid module: compiling it tells whether the page's CSP allows WebAssembly at all. */
const EMPTY_MODULE = new Uint8Array([0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00]);

export const WASM_CSP_REASON =
  "WebAssembly is blocked by the page's Content-Security-Policy: add 'wasm-unsafe-eval' to script-src (of the page and of the worker script's response)";

/** Null when WebAssembly can be compiled here, else why not (naming the CSP directive to add). */
export function wasmBlockedReason(): string | null {
  if (typeof WebAssembly !== 'object') return 'this browser has no WebAssembly';
  try {
    new WebAssembly.Module(EMPTY_MODULE);
    return null;
  } catch (err) {
    // Chromium throws a CompileError naming 'unsafe-eval'; Firefox and Safari an EvalError.
    const message = err instanceof Error ? err.message : String(err);
    return /unsafe-eval|Content.Security|CSP|EvalError/i.test(`${(err as Error)?.name} ${message}`)
      ? WASM_CSP_REASON
      : `WebAssembly cannot compile here: ${message}`;
  }
}

function threadsOffReason(): string | null {
  if (!(globalThis as { crossOriginIsolated?: boolean }).crossOriginIsolated) {
    return 'the page is not cross-origin isolated: serve it with Cross-Origin-Opener-Policy: same-origin and Cross-Origin-Embedder-Policy: require-corp (or credentialless)';
  }
  if (typeof SharedArrayBuffer === 'undefined') return 'this browser has no SharedArrayBuffer';
  return null;
}

/** Registers everything the wasm backend needs before `tf.setBackend('wasm')`; resolves to a failure reason or null. */
export async function prepareWasm(): Promise<string | null> {
  const blocked = wasmBlockedReason();
  if (blocked) return blocked;
  setWasmPaths({
    'tfjs-backend-wasm.wasm': plainUrl,
    'tfjs-backend-wasm-simd.wasm': simdUrl,
    'tfjs-backend-wasm-threaded-simd.wasm': threadedSimdUrl,
  });
  if (threadsOffReason() === null) setThreadsCount(Math.max(1, Math.min(MAX_WASM_THREADS, navigator.hardwareConcurrency || 1)));
  registerWasmKernels();
  return null;
}

/** What the active wasm backend runs with (call after it is set up). */
export async function wasmInfo(): Promise<WasmInfo> {
  const simd = Boolean(await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT'));
  const multithread = Boolean(await tf.env().getAsync('WASM_HAS_MULTITHREAD_SUPPORT'));
  const threads = multithread ? Math.max(1, getThreadsCount()) : 1;
  const cores = navigator.hardwareConcurrency || 1;
  // tfjs-backend-wasm sizes its thread pool from the core count (one thread per two cores, at most 4).
  const off =
    threads > 1
      ? null
      : (threadsOffReason() ??
        (multithread ? `its thread pool has one thread on this ${cores}-core device` : 'this browser lacks WebAssembly threads'));
  return { simd, threads, ...(off ? { threadsOff: off } : {}) };
}
