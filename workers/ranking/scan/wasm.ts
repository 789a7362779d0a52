/**
 * The SIMD scan module (scan.wat, inlined as base64 in scan-wasm.ts), compiled
 * once per realm. `null` when this runtime cannot run it: no WebAssembly, no
 * SIMD, or a Content-Security-Policy without 'wasm-unsafe-eval' (compiling
 * then throws, and the callers fall back to plain JS).
 */
import { SCAN_WASM_BASE64 } from './scan-wasm';

export interface ScanExports {
  memory: WebAssembly.Memory;
  scanI8(vec: number, query: number, scale: number, out: number, n: number, rowBytes: number): void;
  scanF32(vec: number, query: number, out: number, n: number, rowBytes: number): void;
  /** Sequential read of `bytes` bytes (bench/topk's bandwidth ceiling). */
  sumI32(ptr: number, bytes: number): number;
}

let compiled: WebAssembly.Module | null | undefined;

function decodeBase64(text: string): Uint8Array<ArrayBuffer> {
  const binary = atob(text);
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes;
}

/** The compiled module, or null (see above). The module is small (< 4 KB), so synchronous compilation is allowed even on a page's main thread. */
export function scanModule(): WebAssembly.Module | null {
  if (compiled !== undefined) return compiled;
  compiled = null;
  try {
    if (typeof WebAssembly === 'object') {
      const bytes = decodeBase64(SCAN_WASM_BASE64);
      if (WebAssembly.validate(bytes)) compiled = new WebAssembly.Module(bytes);
    }
  } catch {
    compiled = null; // CSP (EvalError / CompileError) or an engine without SIMD
  }
  return compiled;
}

/** A fresh instance with its own memory (one per index, so disposing an index frees its memory). */
export function instantiateScan(): ScanExports | null {
  const module = scanModule();
  if (!module) return null;
  try {
    return new WebAssembly.Instance(module, {}).exports as unknown as ScanExports;
  } catch {
    return null;
  }
}

/** Grow `memory` so that it holds at least `bytes` bytes. */
export function ensureMemory(memory: WebAssembly.Memory, bytes: number): void {
  const page = 65536;
  const have = memory.buffer.byteLength;
  if (bytes > have) memory.grow(Math.ceil((bytes - have) / page));
}
