/**
 * Content side of the engine: keeps item vectors for the configured text and
 * image models up to date (one encoding job at a time, cancellable), and hands
 * ranking the vector matrices it needs.
 */
import { isTastebudError } from '../../common/errors';
import type { ModelInfo, ProgressEvent } from '../../common/types';
import type { ContentKind } from '../../common/model-format/item-vectors';
import type { Database, ItemRecord } from '../storage/db';
import type { ModelRegistry } from '../models/registry';
import type { Catalog } from '../ranking/catalog';
import { imageContentEncoder, textContentEncoder } from './encoders';
import { loadShippedVectors, shippedRow, type ShippedRows, type ShippedVectors } from './shipped';
import { ensureVectors, sourceHash, vectorMatrix, type ContentEncoder, type EncodeReport } from './vectors';
import { yieldToInteractive } from '../priority';

export type { ContentKind };

/** The content an item's shipped vector must have been computed from: what the page gave (an image URL even where images cannot be decoded here). */
const reference = (kind: ContentKind, item: ItemRecord): string | Blob | undefined =>
  kind === 'text' ? (item.text && item.text.trim().length > 0 ? item.text : undefined) : item.image;

export interface ContentMatrix {
  dim: number;
  matrix: Float32Array;
}

export class ContentIndex {
  private queue: Promise<unknown> = Promise.resolve();
  /** Jobs queued or running; cancel() flags them all, so a cancel that arrives early still counts. */
  private readonly jobs = new Set<{ cancelled: boolean }>();
  private readonly matrices = new Map<ContentKind, { catalog: Catalog; value: Promise<ContentMatrix | undefined> }>();
  private shippedLoad: Promise<ShippedVectors | undefined> | null = null;
  private shippedInfo: ModelInfo | undefined;
  /** Shipped rows in use per kind (the last matrix built), for info().counts.vectors. */
  private readonly shippedUsed = new Map<ContentKind, number>();
  failedItems = 0;

  constructor(
    private readonly db: Database,
    private readonly registry: ModelRegistry,
    private readonly progress: (event: ProgressEvent) => void,
    private readonly baseUrl: string | undefined,
    /** `models.itemVectors`: vectors computed ahead of time by `tastebud embed`. */
    private readonly itemVectorsUrl?: string,
    /** The stored items (the catalog's records): shipped rows are matched against their current content. */
    private readonly items?: () => Promise<ItemRecord[]>,
  ) {
    if (itemVectorsUrl !== undefined)
      this.shippedInfo = { kind: 'item-vectors', name: itemVectorsUrl, version: '', status: 'not-configured' };
  }

  info(): ModelInfo[] {
    return this.shippedInfo ? [this.shippedInfo] : [];
  }

  /** Shipped vectors in use (rows whose item and encoder match). */
  shippedVectorCount(): number {
    let n = 0;
    for (const used of this.shippedUsed.values()) n += used;
    return n;
  }

  /** Loads the shipped item vectors once; a failure is reported in info() and the browser encodes everything itself. */
  shipped(): Promise<ShippedVectors | undefined> {
    const url = this.itemVectorsUrl;
    if (url === undefined) return Promise.resolve(undefined);
    if (!this.shippedLoad) {
      this.shippedLoad = loadShippedVectors(this.db, url, this.progress).then(
        ({ vectors, info }) => {
          this.shippedInfo = info;
          return vectors;
        },
        (err: unknown) => {
          const e = isTastebudError(err) ? err : undefined;
          this.shippedInfo = {
            kind: 'item-vectors',
            name: url,
            version: '',
            status: 'error',
            error: e?.message ?? String(err),
            ...(e ? { errorCode: e.code } : {}),
          };
          return undefined;
        },
      );
    }
    return this.shippedLoad;
  }

  private async encoder(kind: ContentKind): Promise<ContentEncoder | undefined> {
    const manifest = await this.registry.manifest(kind);
    if (!manifest) return undefined;
    try {
      return kind === 'text'
        ? textContentEncoder(manifest, () => this.registry.text())
        : imageContentEncoder(manifest, () => this.registry.image(), this.baseUrl);
    } catch {
      return undefined;
    }
  }

  private async shippedFor(key: string): Promise<ShippedRows | undefined> {
    return (await this.shipped())?.byKey.get(key);
  }

  /** Encodes what is missing for these items with every configured content model. */
  encode(items: ItemRecord[]): Promise<EncodeReport> {
    const token = { cancelled: false };
    this.jobs.add(token);
    const job = this.queue
      .then(async () => {
        const total: EncodeReport = { encoded: 0, cached: 0, failed: [] };
        for (const kind of ['text', 'image'] as const) {
          const encoder = await this.encoder(kind);
          if (!encoder) continue;
          const shipped = await this.shippedFor(encoder.key);
          let report: EncodeReport;
          try {
            report = await ensureVectors(this.db, items, encoder, {
              progress: (done, count) =>
                this.progress({ task: kind === 'text' ? 'encode-text' : 'encode-image', done, total: count, message: `encoding ${kind}` }),
              cancelled: () => token.cancelled,
              between: yieldToInteractive,
              ...(shipped ? { covered: (itemId: string, hash: string) => shippedRow(shipped, itemId, hash) !== undefined } : {}),
            });
          } catch (err) {
            // A model that fails to load never fails the call (info() reports it); the items stay stored.
            if (isTastebudError(err) && err.code === 'model-load') continue;
            throw err;
          } finally {
            this.matrices.delete(kind);
          }
          total.encoded += report.encoded;
          total.cached += report.cached;
          total.failed.push(...report.failed);
        }
        this.failedItems += total.failed.length;
        return total;
      })
      .finally(() => this.jobs.delete(token));
    this.queue = job.catch(() => undefined);
    return job;
  }

  cancel(): void {
    for (const job of this.jobs) job.cancelled = true;
  }

  invalidate(): void {
    this.matrices.clear();
  }

  /** The vectors of every catalog item for this model (zero rows where missing), or undefined without the model. */
  matrix(kind: ContentKind, catalog: Catalog): Promise<ContentMatrix | undefined> {
    const cached = this.matrices.get(kind);
    if (cached && cached.catalog === catalog) return cached.value;
    const value = this.encoder(kind).then(async (encoder) => {
      if (!encoder) return undefined;
      const [matrix, shipped] = await Promise.all([vectorMatrix(this.db, catalog, encoder.key, encoder.dim), this.shippedFor(encoder.key)]);
      if (shipped && shipped.dim === encoder.dim && this.items) this.overlay(kind, matrix, catalog, shipped, await this.items());
      return { dim: encoder.dim, matrix };
    });
    this.matrices.set(kind, { catalog, value });
    value.catch(() => this.matrices.delete(kind));
    return value;
  }

  /** Shipped rows replace the cached ones for every item whose content is still what they were computed from. */
  private overlay(kind: ContentKind, matrix: Float32Array, catalog: Catalog, shipped: ShippedRows, items: ItemRecord[]): void {
    const dim = shipped.dim;
    let used = 0;
    for (const item of items) {
      const i = catalog.index.get(item.id);
      const source = reference(kind, item);
      if (i === undefined || source === undefined) continue;
      const row = shippedRow(shipped, item.id, sourceHash(source));
      if (row === undefined) continue;
      matrix.set(shipped.matrix.subarray(row * dim, (row + 1) * dim), i * dim);
      used += 1;
    }
    this.shippedUsed.set(kind, used);
  }

  async queryVector(text: string): Promise<Float32Array | undefined> {
    const model = await this.registry.text();
    return model ? model.encodeAsync([text]) : undefined;
  }
}
