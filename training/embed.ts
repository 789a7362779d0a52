/**
 * Item vectors computed in Node with the shipped encoders (the same code and
 * weights as the worker), written as an `item-vectors` directory that the
 * worker takes as `models.itemVectors` (format: common/model-format/item-vectors.ts).
 * Each row carries the hash of the content it was computed from, as the
 * worker hashes it, so a page re-encodes only items that are new or changed.
 */
import { encoderKey, encodeRows, type ContentKind, type ItemVectorsEncoder, type VectorStorage } from '../common/model-format/item-vectors';
import type { ModelManifest } from '../common/model-format/manifest';
import { loadTextEncoder } from '../workers/models/text/encoder';
import { sourceHash } from '../workers/content/vectors';
import { encodeImageFiles } from './images';
import type { ItemMeta } from './items';
import { readModelDir, writeModelDir } from './model-dir';

export interface EmbedOptions {
  out: string;
  storage: VectorStorage;
  /** Text model directory, or null for no text vectors. */
  textModel: string | null;
  /** Image model directory, or null for no image vectors. */
  imageModel: string | null;
  onProgress?: (kind: ContentKind, done: number, total: number) => void;
}

export interface EmbedReport {
  items: number;
  encoders: Array<{ kind: ContentKind; key: string; vectors: number; failures: Array<{ itemId: string; reason: string }> }>;
  manifest: ModelManifest;
}

interface Encoded {
  encoder: ItemVectorsEncoder;
  bytes: Uint8Array;
  hashes: Array<string | null>;
  failures: Array<{ itemId: string; reason: string }>;
}

const TEXT_CHUNK = 256;

async function embedText(dir: string, items: ItemMeta[], opts: EmbedOptions): Promise<Encoded> {
  const { manifest, files } = await readModelDir(dir, 'text');
  const model = await loadTextEncoder(manifest, files);
  try {
    const dim = model.dim;
    const matrix = new Float32Array(items.length * dim);
    const hashes = items.map((item) => (item.text !== undefined && item.text.trim() !== '' ? sourceHash(item.text) : null));
    const rows = items.flatMap((item, i) => (hashes[i] === null ? [] : [i]));
    for (let start = 0; start < rows.length; start += TEXT_CHUNK) {
      const chunk = rows.slice(start, start + TEXT_CHUNK);
      const out = await model.encodeAsync(chunk.map((i) => items[i]!.text!));
      chunk.forEach((row, j) => matrix.set(out.subarray(j * dim, (j + 1) * dim), row * dim));
      opts.onProgress?.('text', Math.min(rows.length, start + TEXT_CHUNK), rows.length);
    }
    return {
      encoder: { kind: 'text', name: manifest.name, version: manifest.version, dim, storage: opts.storage, file: 'text.bin' },
      bytes: encodeRows(matrix, items.length, dim, opts.storage),
      hashes,
      failures: [],
    };
  } finally {
    model.dispose();
  }
}

async function embedImages(dir: string, items: ItemMeta[], opts: EmbedOptions): Promise<Encoded> {
  const { manifest } = await readModelDir(dir, 'image');
  const result = await encodeImageFiles(
    dir,
    items.map((item) => item.image),
    (done, total) => opts.onProgress?.('image', done, total),
  );
  const failed = new Set(result.failures.map((f) => f.index));
  const hashes = items.map((item, i) => (item.imageRef === undefined || failed.has(i) ? null : sourceHash(item.imageRef)));
  return {
    encoder: { kind: 'image', name: manifest.name, version: manifest.version, dim: result.dim, storage: opts.storage, file: 'image.bin' },
    bytes: encodeRows(result.matrix, items.length, result.dim, opts.storage),
    hashes,
    failures: result.failures.map((f) => ({ itemId: items[f.index]!.id, reason: `${f.path}: ${f.reason}` })),
  };
}

export async function embedItems(items: ItemMeta[], opts: EmbedOptions): Promise<EmbedReport> {
  const encoded: Encoded[] = [];
  if (opts.textModel !== null) encoded.push(await embedText(opts.textModel, items, opts));
  if (opts.imageModel !== null && items.some((item) => item.image !== undefined))
    encoded.push(await embedImages(opts.imageModel, items, opts));
  const index = {
    ids: items.map((item) => item.id),
    hashes: Object.fromEntries(encoded.map((e) => [e.encoder.kind, e.hashes])),
  };
  const manifest = writeModelDir(
    opts.out,
    [
      { path: 'items.json', bytes: new TextEncoder().encode(JSON.stringify(index)) },
      ...encoded.map((e) => ({ path: e.encoder.file, bytes: e.bytes })),
    ],
    {
      kind: 'item-vectors',
      name: 'item-vectors',
      config: { items: 'items.json', encoders: encoded.map((e) => e.encoder) },
      metadata: { items: items.length },
    },
  );
  return {
    items: items.length,
    manifest,
    encoders: encoded.map((e) => ({
      kind: e.encoder.kind,
      key: encoderKey(e.encoder.kind, e.encoder.name, e.encoder.version),
      vectors: e.hashes.filter((h) => h !== null).length,
      failures: e.failures,
    })),
  };
}
