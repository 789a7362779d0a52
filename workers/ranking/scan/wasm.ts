/**
 * The SIMD scan module (scan.wat, inlined as base64 in scan-wasm.ts), compiled
 * once per realm. `null` when this runtime cannot run it (see compileInlineWasm);
 * the callers then fall back to plain JS.
 */
import { compileInlineWasm, instantiateInlineWasm } from '../../inline-wasm';
import { SCAN_WASM_BASE64 } from './scan-wasm';

export { ensureMemory } from '../../inline-wasm';

export interface ScanExports {
  memory: WebAssembly.Memory;
  scanI8(vec: number, query: number, scale: number, out: number, n: number, rowBytes: number): void;
  scanF32(vec: number, query: number, out: number, n: number, rowBytes: number): void;
  /** Sequential read of `bytes` bytes (bench/topk's bandwidth ceiling). */
  sumI32(ptr: number, bytes: number): number;
}

let compiled: WebAssembly.Module | null | undefined;

/** The compiled module, or null (see above). */
export function scanModule(): WebAssembly.Module | null {
  if (compiled === undefined) compiled = compileInlineWasm(SCAN_WASM_BASE64);
  return compiled;
}

/** A fresh instance with its own memory (one per index, so disposing an index frees its memory). */
export function instantiateScan(): ScanExports | null {
  return instantiateInlineWasm<ScanExports>(scanModule());
}
