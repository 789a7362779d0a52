/**
 * The O(L²·dh) loops of the causal attention kernel, on one f32 heap: WASM
 * SIMD (attention.wat) where the runtime can run it, plain JS otherwise.
 * Offsets and sizes are in floats. Shapes (see attention.wat): B left-padded
 * rows of L positions, row b real from L − lens[b]; [B, L, D] tensors whose
 * heads are column blocks of D / heads; per (row, head) an L×L matrix W of
 * which only the causal part over real positions is read or written.
 * Browser-safe: no Node imports.
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

function jsLoops(): AttentionLoops {
  let buffer = new Float32Array(0);
  // Calls `body(wBase, xyBase, o)` for every (row, head): the W matrix's offset,
  // the tensors' offset of (row b, position 0, the head's first column), the first real position.
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
      const H = buffer; const { L, D } = s; const dh = D / s.heads;
      each(s, (wBase, base, o) => {
        for (let i = o; i < L; i++) {
          const ai = a + base + i * D;
          for (let j = o; j <= i; j++) {
            const bj = b + base + j * D;
            let acc = 0;
            for (let t = 0; t < dh; t++) acc += (H[ai + t] as number) * (H[bj + t] as number);
            H[w + wBase + i * L + j] = acc * scale;
          }
        }
      });
    },
    mixRows(w, x, y, s) {
      const H = buffer; const { L, D } = s; const dh = D / s.heads;
      each(s, (wBase, base, o) => {
        for (let i = o; i < L; i++) {
          const yi = y + base + i * D;
          for (let j = o; j <= i; j++) {
            const c = H[w + wBase + i * L + j] as number;
            const xj = x + base + j * D;
            for (let t = 0; t < dh; t++) H[yi + t] = (H[yi + t] as number) + c * (H[xj + t] as number);
          }
        }
      });
    },
    mixRowsT(w, x, y, s) {
      const H = buffer; const { L, D } = s; const dh = D / s.heads;
      each(s, (wBase, base, o) => {
        for (let i = o; i < L; i++) {
          const xi = x + base + i * D;
          for (let j = o; j <= i; j++) {
            const c = H[w + wBase + i * L + j] as number;
            const yj = y + base + j * D;
            for (let t = 0; t < dh; t++) H[yj + t] = (H[yj + t] as number) + c * (H[xi + t] as number);
          }
        }
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
