/**
 * Item vectors computed where the catalog lives (`tastebud embed`), in a model
 * directory of kind `item-vectors`:
 *
 *   manifest.json   envelope (sha256 of every file) + `config` below
 *   items.json      { "ids": [...], "hashes": { "text": [h | null, ...], "image": [...] } }
 *   text.bin, image.bin   one row per id, in `storage`:
 *     int8: n float32 row scales (little-endian), then n × dim int8 (value = q · scale)
 *     f16:  n × dim IEEE half floats (little-endian)
 *
 * `hashes[kind][i]` is the hash of the content that encoder read for item i
 * (the same hash the worker computes), null where the item had none: the
 * worker uses a row only while the item's content and the encoder version
 * are unchanged, and encodes everything else itself.
 */
import { TastebudError } from '../errors';
import type { ModelManifest } from './manifest';

export const VECTOR_STORAGES = Object.freeze(['int8', 'f16'] as const);
export type VectorStorage = (typeof VECTOR_STORAGES)[number];

export const CONTENT_KINDS = Object.freeze(['text', 'image'] as const);
export type ContentKind = (typeof CONTENT_KINDS)[number];

export interface ItemVectorsEncoder {
  kind: ContentKind;
  /** The encoder model's manifest name and version: rows are used only by the same encoder. */
  name: string;
  version: string;
  dim: number;
  storage: VectorStorage;
  /** File of the rows, listed in the manifest. */
  file: string;
}

export interface ItemVectorsConfig {
  /** File with the ids and per-encoder content hashes. */
  items: string;
  encoders: ItemVectorsEncoder[];
}

export interface ItemVectorsIndex {
  ids: string[];
  hashes: Partial<Record<ContentKind, Array<string | null>>>;
}

/** The key of an encoder's vectors, as the worker's vector cache writes it. */
export function encoderKey(kind: ContentKind, name: string, version: string): string {
  return `${kind}:${name}@${version}`;
}

function bad(message: string, field: string): never {
  throw new TastebudError('model-load', `Invalid item vectors: ${message}`, { field });
}

export function parseItemVectorsConfig(manifest: ModelManifest): ItemVectorsConfig {
  if (manifest.kind !== 'item-vectors') bad(`expected kind "item-vectors", got "${manifest.kind}"`, 'kind');
  const c = manifest.config;
  const listed = new Set(manifest.files.map((f) => f.path));
  if (typeof c.items !== 'string' || !listed.has(c.items)) bad('config.items must name a file of the manifest', 'config.items');
  if (!Array.isArray(c.encoders) || c.encoders.length === 0) bad('config.encoders must be a non-empty array', 'config.encoders');
  const seen = new Set<string>();
  const encoders = c.encoders.map((raw: unknown, i: number): ItemVectorsEncoder => {
    const field = `config.encoders[${i}]`;
    if (typeof raw !== 'object' || raw === null) bad('must be an object', field);
    const e = raw as Record<string, unknown>;
    if (!(CONTENT_KINDS as readonly unknown[]).includes(e.kind)) bad(`kind must be one of ${CONTENT_KINDS.join(', ')}`, `${field}.kind`);
    if (seen.has(e.kind as string)) bad(`a second ${String(e.kind)} encoder`, `${field}.kind`);
    seen.add(e.kind as string);
    if (typeof e.name !== 'string' || e.name === '') bad('name must be a non-empty string', `${field}.name`);
    if (typeof e.version !== 'string' || e.version === '') bad('version must be a non-empty string', `${field}.version`);
    if (typeof e.dim !== 'number' || !Number.isInteger(e.dim) || e.dim <= 0 || e.dim > 65536)
      bad('dim must be a positive integer', `${field}.dim`);
    if (!(VECTOR_STORAGES as readonly unknown[]).includes(e.storage))
      bad(`storage must be one of ${VECTOR_STORAGES.join(', ')}`, `${field}.storage`);
    if (typeof e.file !== 'string' || !listed.has(e.file)) bad('file must name a file of the manifest', `${field}.file`);
    return {
      kind: e.kind as ContentKind,
      name: e.name,
      version: e.version,
      dim: e.dim,
      storage: e.storage as VectorStorage,
      file: e.file,
    };
  });
  return { items: c.items, encoders };
}

export function parseItemVectorsIndex(bytes: ArrayBuffer, encoders: readonly ItemVectorsEncoder[]): ItemVectorsIndex {
  let json: unknown;
  try {
    json = JSON.parse(new TextDecoder().decode(bytes));
  } catch {
    bad('the items file is not valid JSON', 'items');
  }
  const o = json as { ids?: unknown; hashes?: unknown };
  if (!Array.isArray(o?.ids) || !o.ids.every((id) => typeof id === 'string')) bad('ids must be an array of strings', 'items.ids');
  const ids = o.ids as string[];
  const hashes: ItemVectorsIndex['hashes'] = {};
  const raw = (typeof o.hashes === 'object' && o.hashes !== null ? o.hashes : {}) as Record<string, unknown>;
  for (const e of encoders) {
    const list = raw[e.kind];
    if (!Array.isArray(list) || list.length !== ids.length || !list.every((h) => h === null || typeof h === 'string'))
      bad(`hashes.${e.kind} must hold one string or null per id`, `items.hashes.${e.kind}`);
    hashes[e.kind] = list as Array<string | null>;
  }
  return { ids, hashes };
}

export function storedRowBytes(dim: number, storage: VectorStorage): number {
  return storage === 'int8' ? dim + 4 : dim * 2;
}

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

/** float32 → IEEE half, round to nearest even. */
export function toHalf(value: number): number {
  f32[0] = value;
  const x = u32[0]!;
  const sign = (x >>> 16) & 0x8000;
  const exp = (x >>> 23) & 0xff;
  let mant = x & 0x7fffff;
  if (exp === 0xff) return sign | 0x7c00 | (mant !== 0 ? 0x200 : 0);
  const e = exp - 127 + 15;
  if (e >= 0x1f) return sign | 0x7c00;
  if (e <= 0) {
    if (e < -10) return sign;
    mant |= 0x800000;
    const shift = 14 - e;
    let half = mant >>> shift;
    const rest = mant & ((1 << shift) - 1);
    const halfway = 1 << (shift - 1);
    if (rest > halfway || (rest === halfway && (half & 1) === 1)) half += 1;
    return sign | half;
  }
  let half = (e << 10) | (mant >>> 13);
  const rest = mant & 0x1fff;
  // A carry out of the mantissa moves into the exponent (up to infinity), as rounding should.
  if (rest > 0x1000 || (rest === 0x1000 && (half & 1) === 1)) half += 1;
  return sign | half;
}

export function fromHalf(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >>> 10) & 0x1f;
  const mant = h & 0x3ff;
  if (exp === 0) return sign * mant * 2 ** -24;
  if (exp === 0x1f) return mant === 0 ? sign * Infinity : NaN;
  return sign * (1 + mant / 1024) * 2 ** (exp - 15);
}

/** n × dim float rows → the stored bytes. */
export function encodeRows(matrix: Float32Array, n: number, dim: number, storage: VectorStorage): Uint8Array {
  if (storage === 'f16') {
    const out = new Uint8Array(n * dim * 2);
    const view = new DataView(out.buffer);
    for (let i = 0; i < n * dim; i++) view.setUint16(i * 2, toHalf(matrix[i]!), true);
    return out;
  }
  const out = new Uint8Array(n * (dim + 4));
  const view = new DataView(out.buffer);
  const q = new Int8Array(out.buffer, n * 4, n * dim);
  for (let r = 0; r < n; r++) {
    let max = 0;
    for (let d = 0; d < dim; d++) max = Math.max(max, Math.abs(matrix[r * dim + d]!));
    const scale = max / 127;
    view.setFloat32(r * 4, scale, true);
    for (let d = 0; d < dim; d++) q[r * dim + d] = scale === 0 ? 0 : Math.round(matrix[r * dim + d]! / scale);
  }
  return out;
}

/** The stored bytes → n × dim float rows. */
export function decodeRows(bytes: ArrayBuffer, n: number, dim: number, storage: VectorStorage): Float32Array {
  if (bytes.byteLength !== n * storedRowBytes(dim, storage))
    bad(`a ${storage} file for ${n} × ${dim} vectors must be ${n * storedRowBytes(dim, storage)} bytes, got ${bytes.byteLength}`, 'file');
  const out = new Float32Array(n * dim);
  const view = new DataView(bytes);
  if (storage === 'f16') {
    for (let i = 0; i < n * dim; i++) out[i] = fromHalf(view.getUint16(i * 2, true));
    return out;
  }
  const q = new Int8Array(bytes, n * 4, n * dim);
  for (let r = 0; r < n; r++) {
    const scale = view.getFloat32(r * 4, true);
    for (let d = 0; d < dim; d++) out[r * dim + d] = q[r * dim + d]! * scale;
  }
  return out;
}
