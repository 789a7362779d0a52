/**
 * The O(L²·dh) loops of the causal attention kernel, on one f32 heap: WASM
 * SIMD (attention.wat) where the runtime can run it, plain JS otherwise.
 * Offsets and sizes are in floats. Shapes (see attention.wat): B left-padded
 * rows of L positions, row b real from L − lens[b]; [B, L, D] tensors whose
 * heads are column blocks of D / heads; per (row, head) an L×L matrix W of
 * which only the causal part over real positions is read or written.
 */
import { compileInlineWasm, ensureMemory, instantiateInlineWasm } from '../../inline-wasm';
import { ATTENTION_WASM_BASE64 } from './attention-wasm';

export interface AttentionShape {
  B: number;
  L: number;
  D: number;
  heads: number;
  /** lens[b] = real positions at the end of row b; also stored on the heap at `lensAt` (as i32). */
  lens: Int32Array;
  lensAt: number;
}

export interface AttentionLoops {
  readonly kind: 'simd' | 'js';
  /** The heap with room for at least `floats` floats (a fresh view: growing detaches the old one). */
  heap(floats: number): Float32Array;
  /** W[i, j] = scale · (a_i · b_j) per head, o ≤ j ≤ i. */
  rowDots(a: number, b: number, w: number, s: AttentionShape, scale: number): void;
  /** y_i += Σ_{o ≤ j ≤ i} W[i, j] · x_j per head. */
  mixRows(w: number, x: number, y: number, s: AttentionShape): void;
  /** y_j += Σ_{j ≤ i < L} W[i, j] · x_i per head. */
  mixRowsT(w: number, x: number, y: number, s: AttentionShape): void;
}

interface AttentionExports {
  memory: WebAssembly.Memory;
  rowDots(a: number, b: number, w: number, B: number, L: number, D: number, heads: number, lens: number, scale: number): void;
  mixRows(w: number, x: number, y: number, B: number, L: number, D: number, heads: number, lens: number): void;
  mixRowsT(w: number, x: number, y: number, B: number, L: number, D: number, heads: number, lens: number): void;
}

function simdLoops(wasm: AttentionExports): AttentionLoops {
  return {
    kind: 'simd',
    heap(floats) {
      ensureMemory(wasm.memory, floats * 4);
      return new Float32Array(wasm.memory.buffer);
    },
    rowDots: (a, b, w, s, scale) => wasm.rowDots(a * 4, b * 4, w * 4, s.B, s.L, s.D, s.heads, s.lensAt * 4, scale),
    mixRows: (w, x, y, s) => wasm.mixRows(w * 4, x * 4, y * 4, s.B, s.L, s.D, s.heads, s.lensAt * 4),
    mixRowsT: (w, x, y, s) => wasm.mixRowsT(w * 4, x * 4, y * 4, s.B, s.L, s.D, s.heads, s.lensAt * 4),
  };
}

function dot(a: Float32Array, ao: number, b: Float32Array, bo: number, n: number): number {
  let s0 = 0;
  let s1 = 0;
  let s2 = 0;
  let s3 = 0;
  let t = 0;
  for (; t + 3 < n; t += 4) {
    s0 += (a[ao + t] as number) * (b[bo + t] as number);
    s1 += (a[ao + t + 1] as number) * (b[bo + t + 1] as number);
    s2 += (a[ao + t + 2] as number) * (b[bo + t + 2] as number);
    s3 += (a[ao + t + 3] as number) * (b[bo + t + 3] as number);
  }
  for (; t < n; t++) s0 += (a[ao + t] as number) * (b[bo + t] as number);
  return s0 + s1 + s2 + s3;
}

/** y[yo..yo+n) += Σ_{j=j0..j1} c(j) · h[base + j·stride ..+n), four rows per pass over y; c(j) = h[w + j·wStride]. */
function weightedRows(
  h: Float32Array,
  w: number,
  wStride: number,
  j0: number,
  j1: number,
  base: number,
  stride: number,
  yo: number,
  n: number,
): void {
  let j = j0;
  for (; j + 3 <= j1; j += 4) {
    const w0 = h[w + j * wStride] as number;
    const w1 = h[w + (j + 1) * wStride] as number;
    const w2 = h[w + (j + 2) * wStride] as number;
    const w3 = h[w + (j + 3) * wStride] as number;
    const r0 = base + j * stride;
    const r1 = r0 + stride;
    const r2 = r1 + stride;
    const r3 = r2 + stride;
    for (let t = 0; t < n; t++) {
      h[yo + t] =
        (h[yo + t] as number) +
        w0 * (h[r0 + t] as number) +
        w1 * (h[r1 + t] as number) +
        w2 * (h[r2 + t] as number) +
        w3 * (h[r3 + t] as number);
    }
  }
  for (; j <= j1; j++) {
    const c = h[w + j * wStride] as number;
    const r = base + j * stride;
    for (let t = 0; t < n; t++) h[yo + t] = (h[yo + t] as number) + c * (h[r + t] as number);
  }
}

function jsLoops(): AttentionLoops {
  let buffer = new Float32Array(0);
  // Calls `body(wBase, base, o)` for every (row, head): the W matrix's offset, the tensors'
  // offset of (row b, position 0, the head's first column), the first real position.
  const each = (s: AttentionShape, body: (wBase: number, base: number, o: number) => void): void => {
    const dh = s.D / s.heads;
    for (let b = 0; b < s.B; b++) {
      const o = s.L - (s.lens[b] as number);
      for (let h = 0; h < s.heads; h++) body((b * s.heads + h) * s.L * s.L, b * s.L * s.D + h * dh, o);
    }
  };
  return {
    kind: 'js',
    heap(floats) {
      if (buffer.length < floats) {
        const grown = new Float32Array(floats);
        grown.set(buffer);
        buffer = grown;
      }
      return buffer;
    },
    rowDots(a, b, w, s, scale) {
      const H = buffer;
      const { L, D } = s;
      const dh = D / s.heads;
      each(s, (wBase, base, o) => {
        for (let i = o; i < L; i++) {
          for (let j = o; j <= i; j++) H[w + wBase + i * L + j] = dot(H, a + base + i * D, H, b + base + j * D, dh) * scale;
        }
      });
    },
    mixRows(w, x, y, s) {
      const { L, D } = s;
      const dh = D / s.heads;
      each(s, (wBase, base, o) => {
        for (let i = o; i < L; i++) weightedRows(buffer, w + wBase + i * L, 1, o, i, x + base, D, y + base + i * D, dh);
      });
    },
    mixRowsT(w, x, y, s) {
      const { L, D } = s;
      const dh = D / s.heads;
      each(s, (wBase, base, o) => {
        for (let j = o; j < L; j++) weightedRows(buffer, w + wBase + j, L, j, L - 1, x + base, D, y + base + j * D, dh);
      });
    },
  };
}

let simd: AttentionLoops | null | undefined;
let js: AttentionLoops | undefined;
let forced: 'simd' | 'js' | undefined;

/** The loops for a head width of `dh`: SIMD when available and dh is a multiple of 4, else JS. */
export function attentionLoops(dh: number): AttentionLoops {
  if (simd === undefined) {
    const wasm = instantiateInlineWasm<AttentionExports>(compileInlineWasm(ATTENTION_WASM_BASE64));
    simd = wasm ? simdLoops(wasm) : null;
  }
  if (simd && dh % 4 === 0 && forced !== 'js') return simd;
  js ??= jsLoops();
  return js;
}

/** Tests and benchmarks: force the JS loops ('js') or restore the default (undefined). Returns whether SIMD is available. */
export function forceAttentionLoops(kind: 'js' | undefined): boolean {
  forced = kind;
  attentionLoops(4);
  return simd !== null;
}
