/**
 * Sequence-model artifacts: weight (de)serialisation and the manifest's
 * `config` for kind 'sequence'. Layout of a model directory:
 *   manifest.json  – envelope (manifest.ts); `config` below
 *   weights.bin    – float32 little-endian, tensors concatenated in
 *                    `config.weights.specs` order (tfjs weight-spec style)
 *   vocab.json     – JSON array of original item ids (strings);
 *                    vocab[i] is model item i + 1 (0 = padding)
 */
import { TastebudError } from '../errors';

export const SEQUENCE_ARCHITECTURES = Object.freeze(['sasrec', 'gru'] as const);
export type SequenceArchitecture = (typeof SEQUENCE_ARCHITECTURES)[number];

/** Architecture settings shared by the sequence models (`blocks` = GRU layers for 'gru'; `heads` unused there). */
export interface SasrecConfig {
  architecture: SequenceArchitecture;
  /** Number of real items; model item ids are 1..numItems, 0 = padding. */
  numItems: number;
  dim: number;
  maxLen: number;
  blocks: number;
  heads: number;
  dropout: number;
  /** SASRec only: dropout on the attention weights during training (as torch's MultiheadAttention); absent = 0. */
  attentionDropout?: number;
  /**
   * SASRec only: dropout on the attention block's output before the residual add, during
   * training; absent = `dropout` (this library's original layout). 0 gives the layout of
   * Kang & McAuley's code and the PyTorch ports, which drop only the attention weights there.
   */
  attentionOutputDropout?: number;
  /** How SASRec indexes position embeddings (see above); absent = 'from-end'. Unused by the GRU. */
  positions?: PositionOrigin;
  /** SASRec only: the layout of each block (see `BlockLayout`); absent = 'sasrec'. */
  block?: BlockLayout;
  /** 'ligr' blocks only: the SwiGLU hidden width as a multiple of `dim`; absent = 4. */
  ffMultiplier?: number;
  /**
   * SASRec only: each block learns a bias per head and query–key distance (0..maxLen-1), added
   * to the attention logits (as T5 / HSTU; parameter `block<i>.rel_bias`, [heads, maxLen],
   * starting at zero); absent = false.
   */
  relativeBias?: boolean;
  /**
   * SASRec only: how attention logits become weights. 'softmax' (absent) over the visible keys;
   * 'silu': HSTU's pointwise silu(logit) / maxLen, unnormalised across keys; 'silu-mean':
   * silu(logit) / (the query's number of visible keys).
   */
  attention?: AttentionKind;
}

export const ATTENTION_KINDS = Object.freeze(['softmax', 'silu', 'silu-mean'] as const);
export type AttentionKind = (typeof ATTENTION_KINDS)[number];

export const POSITION_ORIGINS = Object.freeze(['from-end', 'from-start'] as const);
export type PositionOrigin = (typeof POSITION_ORIGINS)[number];

/**
 * 'sasrec': Kang & McAuley's block (the query from a layer-normed input, keys and values
 * from the raw one, ReLU FFN, post-norm). 'ligr': the LiGR block of eSASRec (Tikhonovich et
 * al. 2025): pre-norm attention and SwiGLU FFN, each added to the stream through a learned
 * sigmoid gate computed from the stream, sigmoid(x·G + g) ⊙ sublayer(LN(x)).
 */
export const BLOCK_LAYOUTS = Object.freeze(['sasrec', 'ligr'] as const);
export type BlockLayout = (typeof BLOCK_LAYOUTS)[number];

export interface WeightSpec {
  name: string;
  shape: number[];
  dtype: 'float32';
}

export interface SequenceModelConfig extends SasrecConfig {
  weights: { path: string; dtype: 'float32'; byteOrder: 'little-endian'; specs: WeightSpec[] };
  /** Path (in `files`) of the vocabulary JSON array. */
  vocabulary: string;
}

export const WEIGHTS_FILE = 'weights.bin';
export const VOCAB_FILE = 'vocab.json';

const isLittleEndian = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** Concatenates tensors (given as Float32Arrays) into one little-endian buffer. */
export function encodeWeights(tensors: ReadonlyArray<{ name: string; shape: number[]; data: Float32Array }>): {
  specs: WeightSpec[];
  bytes: Uint8Array;
} {
  const total = tensors.reduce((n, t) => n + t.data.length, 0);
  const buf = new ArrayBuffer(total * 4);
  const view = new DataView(buf);
  const specs: WeightSpec[] = [];
  let off = 0;
  for (const t of tensors) {
    const expected = t.shape.reduce((a, b) => a * b, 1);
    if (expected !== t.data.length)
      throw new TastebudError('internal', `weight ${t.name}: shape ${t.shape} does not match ${t.data.length} values`);
    if (isLittleEndian) new Float32Array(buf, off * 4, t.data.length).set(t.data);
    else for (let i = 0; i < t.data.length; i++) view.setFloat32((off + i) * 4, t.data[i] as number, true);
    specs.push({ name: t.name, shape: [...t.shape], dtype: 'float32' });
    off += t.data.length;
  }
  return { specs, bytes: new Uint8Array(buf) };
}

export function decodeWeights(specs: readonly WeightSpec[], buffer: ArrayBuffer): Map<string, { shape: number[]; data: Float32Array }> {
  const total = specs.reduce((n, s) => n + s.shape.reduce((a, b) => a * b, 1), 0);
  if (buffer.byteLength !== total * 4) {
    throw new TastebudError('model-integrity', `weights file has ${buffer.byteLength} bytes, the weight specs need ${total * 4}`, {
      field: 'weights',
    });
  }
  const view = new DataView(buffer);
  const out = new Map<string, { shape: number[]; data: Float32Array }>();
  let off = 0;
  for (const s of specs) {
    const n = s.shape.reduce((a, b) => a * b, 1);
    let data: Float32Array;
    if (isLittleEndian) data = new Float32Array(buffer.slice(off * 4, (off + n) * 4));
    else {
      data = new Float32Array(n);
      for (let i = 0; i < n; i++) data[i] = view.getFloat32((off + i) * 4, true);
    }
    out.set(s.name, { shape: [...s.shape], data });
    off += n;
  }
  return out;
}

function loadFail(message: string, field: string): never {
  throw new TastebudError('model-load', `Invalid sequence model config: ${message}`, { field: `config.${field}` });
}

const posInt = (v: unknown): v is number => typeof v === 'number' && Number.isInteger(v) && v > 0;

/** Validates an untrusted manifest `config` for a SASRec or GRU model. */
export function parseSequenceConfig(config: Record<string, unknown>): SequenceModelConfig {
  const c = config;
  if (c.architecture !== 'sasrec' && c.architecture !== 'gru')
    loadFail(`unsupported architecture ${String(c.architecture)}`, 'architecture');
  for (const k of ['numItems', 'dim', 'maxLen', 'blocks', 'heads'] as const)
    if (!posInt(c[k])) loadFail(`${k} must be a positive integer`, k);
  if (typeof c.dropout !== 'number' || !(c.dropout >= 0 && c.dropout < 1)) loadFail('dropout must be in [0, 1)', 'dropout');
  if ((c.dim as number) % (c.heads as number) !== 0) loadFail('dim must be a multiple of heads', 'heads');
  const w = c.weights as Record<string, unknown> | undefined;
  if (typeof w !== 'object' || w === null) loadFail('weights must be an object', 'weights');
  if (typeof w.path !== 'string') loadFail('weights.path must be a string', 'weights.path');
  if (w.dtype !== 'float32') loadFail('weights.dtype must be float32', 'weights.dtype');
  if (!Array.isArray(w.specs)) loadFail('weights.specs must be an array', 'weights.specs');
  const specs: WeightSpec[] = w.specs.map((s: unknown, i: number) => {
    const r = s as Record<string, unknown>;
    if (
      typeof r !== 'object' ||
      r === null ||
      typeof r.name !== 'string' ||
      !Array.isArray(r.shape) ||
      !r.shape.every((d) => Number.isInteger(d) && (d as number) >= 0)
    ) {
      loadFail(`bad weight spec #${i}`, `weights.specs[${i}]`);
    }
    return { name: r.name, shape: r.shape as number[], dtype: 'float32' };
  });
  if (typeof c.vocabulary !== 'string') loadFail('vocabulary must be a file path', 'vocabulary');
  const optionalRate = (key: 'attentionDropout' | 'attentionOutputDropout'): number | undefined => {
    const r = c[key];
    if (r !== undefined && (typeof r !== 'number' || !(r >= 0 && r < 1))) loadFail(`${key} must be in [0, 1)`, key);
    return r as number | undefined;
  };
  const ad = optionalRate('attentionDropout');
  const aod = optionalRate('attentionOutputDropout');
  if (c.positions !== undefined && c.positions !== 'from-end' && c.positions !== 'from-start')
    loadFail(`positions must be "from-end" or "from-start", got ${JSON.stringify(c.positions)}`, 'positions');
  if (c.block !== undefined && c.block !== 'sasrec' && c.block !== 'ligr')
    loadFail(`block must be "sasrec" or "ligr", got ${JSON.stringify(c.block)}`, 'block');
  if (
    c.ffMultiplier !== undefined &&
    (c.block !== 'ligr' || !Number.isInteger(c.ffMultiplier) || (c.ffMultiplier as number) < 1 || (c.ffMultiplier as number) > 16)
  ) {
    loadFail('ffMultiplier must be an integer in [1, 16], and only with block "ligr"', 'ffMultiplier');
  }
  if (c.relativeBias !== undefined && (typeof c.relativeBias !== 'boolean' || c.architecture !== 'sasrec'))
    loadFail('relativeBias must be true or false, and only with architecture "sasrec"', 'relativeBias');
  if (c.attention !== undefined && (!(ATTENTION_KINDS as readonly unknown[]).includes(c.attention) || c.architecture !== 'sasrec'))
    loadFail(
      `attention must be "softmax", "silu" or "silu-mean", and only with architecture "sasrec"; got ${JSON.stringify(c.attention)}`,
      'attention',
    );
  return {
    architecture: c.architecture,
    numItems: c.numItems as number,
    dim: c.dim as number,
    maxLen: c.maxLen as number,
    blocks: c.blocks as number,
    heads: c.heads as number,
    dropout: c.dropout as number,
    weights: { path: w.path, dtype: 'float32', byteOrder: 'little-endian', specs },
    vocabulary: c.vocabulary,
    ...(c.positions === 'from-start' ? { positions: 'from-start' as const } : {}),
    ...(ad !== undefined && ad > 0 ? { attentionDropout: ad } : {}),
    ...(aod !== undefined ? { attentionOutputDropout: aod } : {}),
    ...(c.block === 'ligr' ? { block: 'ligr' as const } : {}),
    ...(c.ffMultiplier !== undefined ? { ffMultiplier: c.ffMultiplier as number } : {}),
    ...(c.relativeBias === true ? { relativeBias: true } : {}),
    ...(c.attention === 'silu' || c.attention === 'silu-mean' ? { attention: c.attention } : {}),
  };
}

export function parseVocabulary(bytes: ArrayBuffer, numItems: number): string[] {
  let json: unknown;
  try {
    json = JSON.parse(new TextDecoder().decode(bytes));
  } catch (err) {
    throw new TastebudError('model-load', 'vocabulary file is not valid JSON', { field: 'vocabulary', cause: err });
  }
  if (!Array.isArray(json) || !json.every((x) => typeof x === 'string'))
    throw new TastebudError('model-load', 'vocabulary must be a JSON array of strings', { field: 'vocabulary' });
  if (json.length !== numItems)
    throw new TastebudError('model-load', `vocabulary has ${json.length} items, config.numItems is ${numItems}`, { field: 'vocabulary' });
  return json as string[];
}
