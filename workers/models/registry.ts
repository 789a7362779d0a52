/**
 * The models this engine was configured with: loads each once (cached load
 * promises that drop rejections, so a later call can retry), warms it up, and
 * reports name, version, size, load time or error for info().
 */
import { TastebudError, toTastebudError } from '../../common/errors';
import type { ModelInfo, ModelUrls, ProgressEvent } from '../../common/types';
import type { Database } from '../storage/db';
import { fetchManifest, loadModelFiles, type LoadedModelFiles } from './loader';
import type { ModelManifest } from '../../common/model-format/manifest';
import { loadSequenceServer } from './serving/load';
import type { SequenceServer } from './serving/server';
import { loadTextEncoder, type TextEncoder } from './text/encoder';
import { loadImageEncoder, type ImageEncoder } from './image/encoder';

export interface SequenceHandle {
  model: SequenceServer;
  /** item id → model item index (1-based). */
  vocabulary: Map<string, number>;
  /** Blend weights fitted on validation data by the CLI (`metadata.blend` in the manifest), if shipped. */
  blend?: Partial<Record<string, number>>;
}

/** Keeps only finite, non-negative numeric entries of an untrusted `metadata.blend`. */
export function parseBlend(metadata: Record<string, unknown> | undefined): Partial<Record<string, number>> | undefined {
  const raw = metadata?.blend;
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return undefined;
  const out: Record<string, number> = {};
  for (const [key, value] of Object.entries(raw)) if (typeof value === 'number' && Number.isFinite(value) && value >= 0) out[key] = value;
  return Object.keys(out).length > 0 ? out : undefined;
}

type Kind = 'sequence' | 'text' | 'image';

/** One forward pass: weights that load but disagree with the config fail here, not on the user's first recommend(). */
async function selfCheck(model: SequenceServer): Promise<void> {
  try {
    const { scores } = await model.score(new Int32Array([1]));
    if (scores.length !== model.itemIds.length + 1 || !scores.every(Number.isFinite)) {
      throw new TastebudError('model-integrity', 'the self-check forward pass gave non-finite or missing scores');
    }
  } catch (err) {
    model.dispose();
    const e = toTastebudError(err, 'model-load');
    throw new TastebudError(e.code === 'internal' ? 'model-load' : e.code, `The sequence model failed its self-check: ${e.message}`, {
      cause: err,
    });
  }
}
interface Loaded {
  sequence: SequenceHandle;
  text: TextEncoder;
  image: ImageEncoder;
}
interface Disposable {
  dispose(): void;
}

export class ModelRegistry {
  private readonly loads = new Map<Kind, Promise<Loaded[Kind]>>();
  private readonly manifests = new Map<'text' | 'image', Promise<ModelManifest | undefined>>();
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

  sequence(): Promise<SequenceHandle | undefined> {
    return this.get('sequence');
  }
  text(): Promise<TextEncoder | undefined> {
    return this.get('text');
  }
  image(): Promise<ImageEncoder | undefined> {
    return this.get('image');
  }

  /**
   * A content model's manifest without building the model: enough to know the
   * key and size of its vectors. Offline, it comes from the model itself (cached copy).
   */
  manifest(kind: 'text' | 'image'): Promise<ModelManifest | undefined> {
    const url = this.urls[kind];
    if (url === undefined) return Promise.resolve(undefined);
    let known = this.manifests.get(kind);
    if (!known) {
      const loaded = this.loads.get(kind) as Promise<TextEncoder | ImageEncoder> | undefined;
      known = loaded ? loaded.then((m) => m.manifest) : fetchManifest(url, kind).catch(async () => (await this.get(kind))?.manifest);
      const started = known;
      this.manifests.set(kind, started);
      void started.then(
        (m) => {
          if (!m && this.manifests.get(kind) === started) this.manifests.delete(kind);
        },
        () => this.manifests.delete(kind),
      );
    }
    return known.catch(() => undefined);
  }

  /** Resolves to undefined when the model is not configured or failed to load (see info()). */
  private get<K extends Kind>(kind: K): Promise<Loaded[K] | undefined> {
    const url = this.urls[kind];
    if (url === undefined) return Promise.resolve(undefined);
    let loading = this.loads.get(kind) as Promise<Loaded[K]> | undefined;
    if (!loading) {
      const started = this.load(kind, url);
      loading = started;
      this.loads.set(kind, started);
      started.catch(() => {
        if (this.loads.get(kind) === started) this.loads.delete(kind);
      });
    }
    return loading.catch(() => undefined);
  }

  /**
   * A download is built and self-checked (one forward pass, which also compiles the kernels)
   * before it may replace the cached copy. A model from the cache passed that check when it was
   * stored: it warms up in the background, so the first result does not wait for shader compiles.
   */
  private async create<K extends Kind>(
    kind: K,
    manifest: ModelManifest,
    files: Map<string, ArrayBuffer>,
    fromCache = false,
  ): Promise<Loaded[K]> {
    const warm = async (run: () => Promise<unknown>): Promise<void> => {
      if (fromCache) void run().catch(() => undefined);
      else await run();
    };
    if (kind === 'sequence') {
      const model = await loadSequenceServer(manifest, files);
      if (fromCache) void model.score(new Int32Array([1])).catch(() => undefined);
      else await selfCheck(model);
      const vocabulary = new Map<string, number>();
      model.itemIds.forEach((id, i) => vocabulary.set(id, i + 1));
      const blend = parseBlend(manifest.metadata);
      return { model, vocabulary, ...(blend ? { blend } : {}) } as Loaded[K];
    }
    if (kind === 'text') {
      const model = await loadTextEncoder(manifest, files);
      await warm(() => model.encodeAsync(['warm up']));
      return model as Loaded[K];
    }
    const model = await loadImageEncoder(manifest, files);
    await warm(() => model.encodeAsync([{ data: new Uint8Array(8 * 8 * 3), width: 8, height: 8 }]));
    return model as Loaded[K];
  }

  private async load<K extends Kind>(kind: K, url: string): Promise<Loaded[K]> {
    const started = performance.now();
    try {
      let loaded: LoadedModelFiles = await loadModelFiles(this.db, url, kind, (done, total) => {
        this.progress({ task: 'load-model', model: kind, url, done, total, message: `${kind} model` });
      });
      let model: Loaded[K];
      try {
        model = await this.create(kind, loaded.manifest, loaded.files, loaded.source === 'cache');
        await loaded.keep?.();
      } catch (err) {
        // An update that verified but cannot be built: the cached copy keeps serving (and stays cached).
        if (!loaded.fallback) throw err;
        const e = toTastebudError(err, 'model-load');
        const cached = loaded.fallback;
        model = await this.create(kind, cached.manifest, cached.files);
        loaded = {
          ...cached,
          warning: `kept the cached version ${cached.manifest.version}: version ${loaded.manifest.version} could not be built: ${e.message}`,
          warningCode: e.code,
        };
      }
      const info: ModelInfo = {
        kind,
        name: loaded.manifest.name,
        version: loaded.manifest.version,
        status: 'ready',
        bytes: loaded.bytes,
        loadMs: Math.round(performance.now() - started),
      };
      if (loaded.warning) info.error = loaded.warning;
      if (loaded.warningCode) info.errorCode = loaded.warningCode;
      this.infos.set(kind, info);
      return model;
    } catch (err) {
      // A model that cannot be built (tfjs throws plain Errors) is a model-load failure, not a tastebud bug.
      const e = toTastebudError(err, 'model-load');
      this.infos.set(kind, { kind, name: url, version: '', status: 'error', error: e.message, errorCode: e.code });
      throw e;
    }
  }

  async dispose(): Promise<void> {
    for (const loading of this.loads.values()) {
      const loaded = await loading.catch(() => undefined);
      const disposable = (loaded && 'model' in loaded ? loaded.model : loaded) as Disposable | undefined;
      disposable?.dispose();
    }
    this.loads.clear();
    this.manifests.clear();
  }
}
