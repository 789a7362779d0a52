/**
 * WebAssembly modules inlined as base64 (scripts/build-wasm.ts), compiled
 * synchronously: they are small (< 4 KB), which a page's main thread allows.
 */

function decodeBase64(text: string): Uint8Array<ArrayBuffer> {
  const binary = atob(text);
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes;
}

/**
 * The compiled module, or null when this runtime cannot run it: no
 * WebAssembly, no SIMD, or a Content-Security-Policy without
 * 'wasm-unsafe-eval' (compiling then throws; callers fall back to plain JS).
 */
export function compileInlineWasm(base64: string): WebAssembly.Module | null {
  try {
    if (typeof WebAssembly !== 'object') return null;
    const bytes = decodeBase64(base64);
    return WebAssembly.validate(bytes) ? new WebAssembly.Module(bytes) : null;
  } catch {
    return null;
  }
}

/** A fresh instance (with its own memory), or null if instantiation fails. */
export function instantiateInlineWasm<T>(module: WebAssembly.Module | null): T | null {
  if (!module) return null;
  try {
    return new WebAssembly.Instance(module, {}).exports as unknown as T;
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
