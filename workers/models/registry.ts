/**
 * The models this engine was configured with: loads each once (cached load
 * promises that drop rejections, so a later call can retry), warms it up, and
 * reports name, version, size, load time or error for info().
 */
import { toTastebudError } from '../../lib/errors';
import type { ModelInfo, ModelUrls, ProgressEvent } from '../../lib/types';
import type { Database } from '../storage/db';
import { loadModelFiles } from './loader';
import { loadSasrecServer, type SasrecServer } from './sasrec-serve';

export interface SequenceHandle {
  model: SasrecServer;
  /** item id → model item index (1-based). */
  vocabulary: Map<string, number>;
}

export class ModelRegistry {
  private sequenceLoad: Promise<SequenceHandle> | null = null;
  private readonly infos = new Map<ModelInfo['kind'], ModelInfo>();

  constructor(
    private readonly db: Database,
    private readonly urls: ModelUrls,
    private readonly progress: (event: ProgressEvent) => void,
  ) {
    for (const kind of ['sequence', 'text', 'image'] as const) {
      const url = urls[kind];
      if (url !== undefined) this.infos.set(kind, { kind, name: url, version: '', status: 'not-configured' });
    }
  }

  info(): ModelInfo[] {
    return [...this.infos.values()];
  }

  /** Resolves to undefined when no sequence model is configured or it failed to load (see info()). */
  async sequence(): Promise<SequenceHandle | undefined> {
    const url = this.urls.sequence;
    if (url === undefined) return undefined;
    if (!this.sequenceLoad) {
      const loading = this.loadSequence(url);
      this.sequenceLoad = loading;
      loading.catch(() => { if (this.sequenceLoad === loading) this.sequenceLoad = null; });
    }
    return this.sequenceLoad.catch(() => undefined);
  }

  private async loadSequence(url: string): Promise<SequenceHandle> {
    const started = performance.now();
    try {
      const loaded = await loadModelFiles(this.db, url, 'sequence', (done, total) => {
        this.progress({ task: 'load-model', done, total, message: 'sequence model' });
      });
      const model = await loadSasrecServer(loaded.manifest, loaded.files);
      const vocabulary = new Map<string, number>();
      model.itemIds.forEach((id, i) => vocabulary.set(id, i + 1));
      const info: ModelInfo = {
        kind: 'sequence', name: loaded.manifest.name, version: loaded.manifest.version, status: 'ready',
        bytes: loaded.bytes, loadMs: Math.round(performance.now() - started),
      };
      if (loaded.warning) info.error = loaded.warning;
      this.infos.set('sequence', info);
      return { model, vocabulary };
    } catch (err) {
      this.infos.set('sequence', { kind: 'sequence', name: url, version: '', status: 'error', error: toTastebudError(err).message });
      throw err;
    }
  }

  async dispose(): Promise<void> {
    const handle = await this.sequenceLoad?.catch(() => undefined);
    handle?.model.dispose();
    this.sequenceLoad = null;
  }
}
