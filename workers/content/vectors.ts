/**
 * Item vectors for content models: encodes what is missing in batches, caches
 * every batch in IndexedDB as soon as it is done (so a reload resumes where it
 * stopped), reports progress, stops between batches when cancelled, and turns
 * the cache into an n × dim matrix aligned with the catalog.
 */
import { TastebudError } from '../../common/errors';
import type { Database, ItemRecord } from '../storage/db';
import { readVectors, writeVectors } from '../storage/vectors';
import type { Catalog } from '../ranking/catalog';

export interface ContentEncoder {
  /** e.g. `text:sif-glove@<version>` — part of every cache key. */
  key: string;
  dim: number;
  batchSize: number;
  /** The content this encoder reads, or undefined when the item has none. */
  source(item: ItemRecord): string | Blob | undefined;
  /** One row per input; inputs listed in `failures` are reported, not fatal. */
  encode(inputs: Array<string | Blob>): Promise<{ vectors: Float32Array; failures: Map<number, string> }>;
}

export interface EncodeReport {
  encoded: number;
  cached: number;
  failed: Array<{ itemId: string; reason: string }>;
}

/** FNV-1a of the content an encoder reads: the vector is reused while it is unchanged. */
export function sourceHash(source: string | Blob): string {
  const s = typeof source === 'string' ? source : `blob:${source.size}:${source.type}`;
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return `${h.toString(16).padStart(8, '0')}-${s.length}`;
}

export async function ensureVectors(
  db: Database,
  items: ItemRecord[],
  encoder: ContentEncoder,
  hooks: {
    progress(done: number, total: number): void;
    cancelled(): boolean;
    /** True when a vector for this item and content comes from elsewhere (shipped vectors): nothing to encode. */
    covered?(itemId: string, hash: string): boolean;
    /** Awaited between batches: where interactive calls go first. */
    between?(): Promise<void>;
  },
): Promise<EncodeReport> {
  const cached = new Map((await readVectors(db, encoder.key)).map((r) => [r.itemId, r.contentHash]));
  const todo: Array<{ item: ItemRecord; source: string | Blob; hash: string }> = [];
  let already = 0;
  for (const item of items) {
    const source = encoder.source(item);
    if (source === undefined) continue;
    const hash = sourceHash(source);
    if (cached.get(item.id) === hash || hooks.covered?.(item.id, hash) === true) already += 1;
    else todo.push({ item, source, hash });
  }
  const report: EncodeReport = { encoded: 0, cached: already, failed: [] };
  hooks.progress(0, todo.length);
  for (let start = 0; start < todo.length; start += encoder.batchSize) {
    if (start > 0) await hooks.between?.();
    if (hooks.cancelled()) {
      throw new TastebudError(
        'aborted',
        `Encoding was cancelled after ${report.encoded} of ${todo.length} items; the rest is encoded the next time items are upserted or the page reloads.`,
      );
    }
    const batch = todo.slice(start, start + encoder.batchSize);
    const { vectors, failures } = await encoder.encode(batch.map((b) => b.source));
    const records = [];
    for (let j = 0; j < batch.length; j++) {
      const failure = failures.get(j);
      if (failure !== undefined) {
        report.failed.push({ itemId: batch[j]!.item.id, reason: failure });
        continue;
      }
      records.push({
        itemId: batch[j]!.item.id,
        model: encoder.key,
        contentHash: batch[j]!.hash,
        vector: vectors.slice(j * encoder.dim, (j + 1) * encoder.dim),
      });
    }
    await writeVectors(db, records);
    report.encoded += records.length;
    hooks.progress(Math.min(start + batch.length, todo.length), todo.length);
  }
  return report;
}

/** n × dim matrix in catalog order; items without a (current) vector get a zero row. */
export async function vectorMatrix(db: Database, catalog: Catalog, key: string, dim: number): Promise<Float32Array> {
  const matrix = new Float32Array(catalog.items.length * dim);
  for (const record of await readVectors(db, key)) {
    const i = catalog.index.get(record.itemId);
    if (i !== undefined && record.vector.length === dim) matrix.set(record.vector, i * dim);
  }
  return matrix;
}
