/**
 * SIF text encoder (Arora, Liang & Ma 2017, "A simple but tough-to-beat
 * baseline for sentence embeddings") over trimmed GloVe 100-d vectors built by
 * scripts/build-text-model.ts into public/models/text/.
 *
 *   v(text) = Σ_w a/(a + p(w)) · x(w) / |tokens in vocabulary|
 *   v ← v − (v·u) u        (u: the shipped common component, unit length)
 *   v ← v / ‖v‖           (a text with no known word gives a zero row)
 *
 * The batch is computed with tfjs ops (gather of word rows and weights,
 * batched matmul for the weighted sum, projection removal, normalisation)
 * inside tf.tidy, in chunks so memory stays bounded. The caller fetches and sha256-verifies the files.
 */
import * as tf from '@tensorflow/tfjs';
import { TastebudError } from '../../../common/errors';
import type { ModelManifest } from '../../../common/model-format/manifest';
import { resolveToken, tokenize, TOKENIZER_VERSION } from './tokenizer';

export interface TextEncoder {
  readonly manifest: ModelManifest;
  readonly dim: number;
  /** texts.length × dim, row-major, L2-normalised; an empty / all-unknown text gives a zero row. */
  encode(texts: string[]): Float32Array;
  /** Same as `encode`, reading results back asynchronously (no GPU stall on WebGL/WebGPU). */
  encodeAsync(texts: string[]): Promise<Float32Array>;
  dispose(): void;
}

export interface TextModelConfig {
  dim: number;
  vocabSize: number;
  sifA: number;
  maxTokens: number;
  tokenizer: string;
  vectorsEncoding: 'int8-row-scaled';
  files: { vocab: string; vectors: string; rowScales: string; wordProb: string; commonComponent: string };
}

/** Texts per tensor batch: bounds the [chunk, tokens, dim] gather. */
const CHUNK = 128;

function bad(message: string, field: string): never {
  throw new TastebudError('model-load', `Invalid text model: ${message}`, { field });
}

function positiveInt(v: unknown, field: string): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v <= 0) bad(`${field} must be a positive integer`, `config.${field}`);
  return v;
}

export function parseTextConfig(manifest: ModelManifest): TextModelConfig {
  if (manifest.kind !== 'text') bad(`expected kind "text", got "${manifest.kind}"`, 'kind');
  const c = manifest.config;
  const dim = positiveInt(c.dim, 'dim');
  const vocabSize = positiveInt(c.vocabSize, 'vocabSize');
  const maxTokens = positiveInt(c.maxTokens, 'maxTokens');
  if (typeof c.sifA !== 'number' || !(c.sifA > 0)) bad('sifA must be a positive number', 'config.sifA');
  if (c.tokenizer !== TOKENIZER_VERSION)
    bad(`tokenizer "${String(c.tokenizer)}" is not supported (this build has ${TOKENIZER_VERSION})`, 'config.tokenizer');
  if (c.vectorsEncoding !== 'int8-row-scaled')
    bad(`vectorsEncoding "${String(c.vectorsEncoding)}" is not supported`, 'config.vectorsEncoding');
  const f = c.files as Record<string, unknown> | undefined;
  if (typeof f !== 'object' || f === null) bad('files must be an object', 'config.files');
  const names = ['vocab', 'vectors', 'rowScales', 'wordProb', 'commonComponent'] as const;
  const files = {} as TextModelConfig['files'];
  for (const n of names) {
    const p = f[n];
    if (typeof p !== 'string' || !manifest.files.some((e) => e.path === p))
      bad(`files.${n} must name a file listed in the manifest`, `config.files.${n}`);
    files[n] = p;
  }
  return { dim, vocabSize, sifA: c.sifA, maxTokens, tokenizer: c.tokenizer, vectorsEncoding: 'int8-row-scaled', files };
}

function need(files: Map<string, ArrayBuffer>, path: string, bytes: number): ArrayBuffer {
  const buf = files.get(path);
  if (!buf) throw new TastebudError('model-load', `Text model file ${path} was not provided.`, { field: path });
  if (buf.byteLength !== bytes) {
    throw new TastebudError('model-load', `Text model file ${path} is ${buf.byteLength} bytes, expected ${bytes} for this config.`, {
      field: path,
    });
  }
  return buf;
}

function float32s(buf: ArrayBuffer): Float32Array {
  // Model files are little-endian float32; every platform tfjs runs on is little-endian.
  return new Float32Array(buf.slice(0));
}

class SifTextEncoder implements TextEncoder {
  readonly dim: number;
  private readonly vocab: Map<string, number>;
  private readonly maxTokens: number;
  private table: tf.Tensor2D | null;
  private weights: tf.Tensor1D | null;
  private common: tf.Tensor2D | null;

  constructor(
    readonly manifest: ModelManifest,
    cfg: TextModelConfig,
    vocab: Map<string, number>,
    table: tf.Tensor2D,
    weights: tf.Tensor1D,
    common: tf.Tensor2D,
  ) {
    this.dim = cfg.dim;
    this.maxTokens = cfg.maxTokens;
    this.vocab = vocab;
    this.table = table;
    this.weights = weights;
    this.common = common;
  }

  /** Vocabulary ids of a text, in order, truncated to `maxTokens`. */
  ids(text: string): number[] {
    const out: number[] = [];
    const lookup = (w: string): number | undefined => this.vocab.get(w);
    for (const tok of tokenize(text)) {
      for (const id of resolveToken(tok, lookup)) {
        out.push(id);
        if (out.length >= this.maxTokens) return out;
      }
    }
    return out;
  }

  private check(texts: string[]): void {
    if (!this.table) throw new TastebudError('disposed', 'This text encoder has been disposed.');
    if (!Array.isArray(texts)) throw new TastebudError('invalid-argument', 'encode() takes an array of strings.', { field: 'texts' });
    texts.forEach((t, i) => {
      if (typeof t !== 'string') throw new TastebudError('invalid-argument', `texts[${i}] must be a string.`, { field: `texts[${i}]` });
    });
  }

  /** Encoded rows of texts[start, start + CHUNK) as a tensor, or null when none has a known word. */
  private chunkTensor(texts: string[], start: number): tf.Tensor2D | null {
    const table = this.table!;
    const weights = this.weights!;
    const common = this.common!;
    const D = this.dim;
    const idLists = texts.slice(start, start + CHUNK).map((t) => this.ids(t));
    const L = idLists.reduce((m, l) => Math.max(m, l.length), 0);
    if (L === 0) return null; // all rows stay zero
    const B = idLists.length;
    const ids = new Int32Array(B * L);
    const mask = new Float32Array(B * L);
    idLists.forEach((list, b) => {
      for (let j = 0; j < list.length; j++) {
        ids[b * L + j] = list[j]!;
        mask[b * L + j] = 1 / list.length;
      }
    });
    return tf.tidy(() => {
      const idT = tf.tensor2d(ids, [B, L], 'int32');
      const w = tf.mul(tf.gather(weights, idT), tf.tensor2d(mask, [B, L])); // [B, L]: SIF weight / token count, 0 = padding
      const rows = tf.reshape(tf.gather(table, tf.reshape(idT, [B * L])), [B, L, D]); // [B, L, D]
      const v = tf.reshape(tf.matMul(tf.reshape(w, [B, 1, L]), rows), [B, D]); // SIF average
      const proj = tf.sum(tf.mul(v, common), 1, true); // [B, 1]
      const r = tf.sub(v, tf.mul(proj, common)); // remove the common component
      const norm = tf.sqrt(tf.sum(tf.square(r), 1, true));
      return tf.div(r, tf.maximum(norm, 1e-12)) as tf.Tensor2D;
    });
  }

  encode(texts: string[]): Float32Array {
    this.check(texts);
    const out = new Float32Array(texts.length * this.dim);
    for (let start = 0; start < texts.length; start += CHUNK) {
      const result = this.chunkTensor(texts, start);
      if (!result) continue;
      try {
        out.set(result.dataSync() as Float32Array, start * this.dim);
      } finally {
        result.dispose();
      }
    }
    return out;
  }

  async encodeAsync(texts: string[]): Promise<Float32Array> {
    this.check(texts);
    const out = new Float32Array(texts.length * this.dim);
    for (let start = 0; start < texts.length; start += CHUNK) {
      if (!this.table) throw new TastebudError('disposed', 'This text encoder was disposed during encoding.');
      const result = this.chunkTensor(texts, start);
      if (!result) continue;
      try {
        out.set((await result.data()) as Float32Array, start * this.dim);
      } finally {
        result.dispose();
      }
    }
    return out;
  }

  dispose(): void {
    this.table?.dispose();
    this.weights?.dispose();
    this.common?.dispose();
    this.table = null;
    this.weights = null;
    this.common = null;
  }
}

/** Builds the encoder from an already sha256-verified model directory (path → bytes). */
export async function loadTextEncoder(manifest: ModelManifest, files: Map<string, ArrayBuffer>): Promise<TextEncoder> {
  const cfg = parseTextConfig(manifest);
  const { dim: D, vocabSize: V } = cfg;
  const vocabBuf = files.get(cfg.files.vocab);
  if (!vocabBuf) throw new TastebudError('model-load', `Text model file ${cfg.files.vocab} was not provided.`, { field: cfg.files.vocab });
  const words = new TextDecoder('utf-8', { fatal: true }).decode(vocabBuf).split('\n');
  if (words[words.length - 1] === '') words.pop();
  if (words.length !== V) bad(`vocabulary has ${words.length} words, config says ${V}`, cfg.files.vocab);
  const vocab = new Map<string, number>();
  words.forEach((w, i) => {
    if (!vocab.has(w)) vocab.set(w, i);
  });

  const q = new Int8Array(need(files, cfg.files.vectors, V * D));
  const scales = float32s(need(files, cfg.files.rowScales, V * 4));
  const prob = float32s(need(files, cfg.files.wordProb, V * 4));
  const common = float32s(need(files, cfg.files.commonComponent, D * 4));

  const table = new Float32Array(V * D);
  for (let r = 0; r < V; r++) {
    const s = scales[r]!;
    for (let d = 0; d < D; d++) table[r * D + d] = q[r * D + d]! * s;
  }
  const sif = new Float32Array(V);
  for (let r = 0; r < V; r++) sif[r] = cfg.sifA / (cfg.sifA + prob[r]!);
  let n = 0;
  for (let d = 0; d < D; d++) n += common[d]! * common[d]!;
  if (!(n > 0)) bad('common component is zero', cfg.files.commonComponent);
  n = Math.sqrt(n);
  for (let d = 0; d < D; d++) common[d] = common[d]! / n;

  const tensors = [
    tf.tensor2d(table, [V, D]),
    tf.tensor1d(sif),
    tf.tensor2d(common, [1, D]), // [1, D]: broadcasts over rows
  ] as const;
  return new SifTextEncoder(manifest, cfg, vocab, tensors[0], tensors[1], tensors[2]);
}
