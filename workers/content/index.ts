/**
 * Content side of the engine: keeps item vectors for the configured text and
 * image models up to date (one encoding job at a time, cancellable), and hands
 * ranking the vector matrices it needs.
 */
import type { ProgressEvent } from '../../common/types';
import type { Database, ItemRecord } from '../storage/db';
import type { ModelRegistry } from '../models/registry';
import type { Catalog } from '../ranking/catalog';
import { imageContentEncoder, textContentEncoder } from './encoders';
import { ensureVectors, vectorMatrix, type ContentEncoder, type EncodeReport } from './vectors';

export type ContentKind = 'text' | 'image';

export interface ContentMatrix {
  dim: number;
  matrix: Float32Array;
}

export class ContentIndex {
  private queue: Promise<unknown> = Promise.resolve();
  /** Jobs queued or running; cancel() flags them all, so a cancel that arrives early still counts. */
  private readonly jobs = new Set<{ cancelled: boolean }>();
  private readonly matrices = new Map<ContentKind, { catalog: Catalog; value: Promise<ContentMatrix | undefined> }>();
  failedItems = 0;

  constructor(
    private readonly db: Database,
    private readonly registry: ModelRegistry,
    private readonly progress: (event: ProgressEvent) => void,
    private readonly baseUrl: string | undefined,
  ) {}

  private async encoder(kind: ContentKind): Promise<ContentEncoder | undefined> {
    if (kind === 'text') {
      const model = await this.registry.text();
      return model && textContentEncoder(model);
    }
    const model = await this.registry.image();
    return model && imageContentEncoder(model, this.baseUrl);
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
          const report = await ensureVectors(this.db, items, encoder, {
            progress: (done, count) =>
              this.progress({ task: kind === 'text' ? 'encode-text' : 'encode-image', done, total: count, message: `encoding ${kind}` }),
            cancelled: () => token.cancelled,
          }).finally(() => this.matrices.delete(kind));
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
      return { dim: encoder.dim, matrix: await vectorMatrix(this.db, catalog, encoder.key, encoder.dim) };
    });
    this.matrices.set(kind, { catalog, value });
    value.catch(() => this.matrices.delete(kind));
    return value;
  }

  async queryVector(text: string): Promise<Float32Array | undefined> {
    const model = await this.registry.text();
    return model ? model.encodeAsync([text]) : undefined;
  }
}
