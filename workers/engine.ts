/**
 * The engine behind the worker façade: owns tfjs, the database connection and
 * the in-memory catalog. Methods receive arguments already validated on the page.
 */
import * as tf from '@tensorflow/tfjs';
import { TastebudError, toTastebudError } from '../common/errors';
import { validateExportData } from '../common/validate';
import { DEFAULTS } from '../common/defaults';
import type { BackendAttempt, BackendName, BackendSwitch, CooccurrenceTable, ModelInfo, ProgressEvent } from '../common/types';
import type { EngineApi, EngineConfig, ProgressCallback } from '../common/protocol';
import { selectBackend } from './backends/select';
import { GpuLossWatch } from './gpu-loss';
import { Database, type ItemRecord } from './storage/db';
import { addEvents, countAllEvents, countUserEvents, readHistory, readSeenItemIds, trackedToStored } from './storage/events';
import { countItems, countVectors, deleteItems, putItems, readAllItems } from './storage/items';
import { exportUser, forgetUser, importUser } from './storage/portability';
import { loadCooccurrence, loadPopularity } from './models/tables';
import { buildCatalog, type Catalog } from './ranking/catalog';
import { PROFILE_WINDOW } from './ranking/profile';
import { indexCooccurrence, type NeighborIndex } from './ranking/signals';
import { DEFAULT_WEIGHTS } from './ranking/weights';
import { ModelRegistry, type SequenceHandle } from './models/registry';
import { modelItemsOf, recommendFor, searchFor, similarFor } from './recommend';
import { Adaptations } from './models/adaptation';
import { ContentIndex } from './content/index';
import { UserHistoryCache } from './user-cache';
import { coldStartPicks } from './cold-start';

/** How often a read-only call on a GPU backend checks whether the GPU was lost under it. */
const GPU_LOSS_POLL_MS = 200;

interface CatalogState {
  catalog: Catalog;
  neighbors: NeighborIndex;
  /** The stored items it was built from. */
  records: ItemRecord[];
}

interface State {
  config: EngineConfig;
  db: Database;
  backend: BackendName;
  attempts: BackendAttempt[];
  gpu: GpuLossWatch;
  switches: BackendSwitch[];
  recovering: Promise<void> | null;
  models: ModelInfo[];
  registry: ModelRegistry;
  content: ContentIndex;
  popularity: Map<string, number>;
  cooccurrence?: CooccurrenceTable;
  catalog: Promise<CatalogState> | null;
  channel: BroadcastChannel | null;
  lastUnknownItems: number;
  adaptations: Adaptations;
  /** Set while forget() runs: track() and importData() issued after it wait for it. */
  forgetting: Promise<void> | null;
  users: UserHistoryCache;
  onProgress?: ProgressCallback;
}

async function holdLifeLock(name: string | undefined): Promise<void> {
  const locks = typeof navigator !== 'undefined' ? navigator.locks : undefined;
  if (!name || !locks) return;
  await new Promise<void>((granted) => {
    // Held until this worker dies; the page watches for its release.
    void locks.request(name, () => {
      granted();
      return new Promise<never>(() => {});
    });
  });
}

async function loadTable<T>(
  kind: ModelInfo['kind'],
  source: string | object | undefined,
  load: () => Promise<T>,
  models: ModelInfo[],
): Promise<T | undefined> {
  if (source === undefined) return undefined;
  const started = performance.now();
  const name = typeof source === 'string' ? source : 'inline';
  try {
    const value = await load();
    models.push({ kind, name, version: '1', status: 'ready', loadMs: Math.round(performance.now() - started) });
    return value;
  } catch (err) {
    models.push({ kind, name, version: '1', status: 'error', error: toTastebudError(err).message });
    return undefined;
  }
}

export function createEngine(): EngineApi {
  let state: State | null = null;
  let disposed = false;

  const need = (): State => {
    // A call that raced dispose() on the page reaches the worker after it: the caller's timing, not a bug.
    if (!state && disposed) throw new TastebudError('disposed', 'The recommender was disposed while this call was on its way.');
    if (!state) throw new TastebudError('internal', 'The engine was used before init(); this is a tastebud bug.');
    return state;
  };

  const progress = (event: ProgressEvent): void => {
    try {
      void state?.onProgress?.(event);
    } catch {
      /* a throwing callback must not break the engine */
    }
  };

  const catalogState = (s: State): Promise<CatalogState> => {
    if (!s.catalog) {
      const loading = readAllItems(s.db).then((records) => {
        const catalog = buildCatalog(records);
        return { catalog, neighbors: indexCooccurrence(s.cooccurrence, catalog), records };
      });
      s.catalog = loading;
      loading.catch(() => {
        if (s.catalog === loading) s.catalog = null;
      });
    }
    return s.catalog;
  };

  /** The sequence model with this user's adapted weights applied (if any). */
  const readySequence = async (s: State): Promise<SequenceHandle | undefined> => {
    const handle = await s.registry.sequence();
    if (handle) await s.adaptations.ready(handle.model);
    return handle;
  };

  const itemsChanged = (s: State): void => {
    s.catalog = null;
    s.channel?.postMessage({ type: 'items-changed' });
  };

  /** The stored history changed other than by this tab's append: in-memory copies derived from it go. */
  const historyChanged = (s: State, tellOtherTabs = false): void => {
    s.users.reset();
    if (tellOtherTabs) s.channel?.postMessage({ type: 'events-changed' });
  };

  /** After a GPU loss: next backend, models re-created on it lazily (registry reset). One recovery at a time. */
  const recover = (s: State): Promise<void> => {
    if (!s.recovering) {
      s.recovering = (async () => {
        await s.registry.dispose();
        const { from, choice, reason } = await s.gpu.switchFrom(s.config.backends);
        s.backend = choice.backend;
        s.attempts.push(...choice.attempts);
        s.switches.push({ from, to: choice.backend, reason, at: Date.now() });
        progress({
          task: 'backend',
          backend: choice.backend,
          from,
          done: 1,
          total: 1,
          message: `${reason}: switched from ${from} to ${choice.backend}`,
        });
      })().finally(() => {
        s.recovering = null;
      });
    }
    return s.recovering;
  };

  /**
   * Rejects once the GPU under `s` is lost while `run` is pending: tfjs can wait forever on a
   * readback from a lost WebGL context or WebGPU device.
   */
  const unlessGpuLost = <T>(s: State, run: Promise<T>): Promise<T> => {
    if (s.backend !== 'webgl' && s.backend !== 'webgpu') return run;
    let timer: ReturnType<typeof setInterval> | undefined;
    const lost = new Promise<never>((_, reject) => {
      timer = setInterval(() => {
        const reason = s.gpu.lost();
        if (reason) reject(new TastebudError('backend-unavailable', `${reason} during the call.`));
      }, GPU_LOSS_POLL_MS);
    });
    return Promise.race([run, lost]).finally(() => clearInterval(timer));
  };

  /** `readOnly`: a call that stores nothing, so an attempt stuck on a lost GPU can be abandoned and run again. */
  const guard = async <T>(fn: () => Promise<T>, readOnly = false): Promise<T> => {
    const s = state;
    const attempt = (): Promise<T> => (readOnly && s ? unlessGpuLost(s, fn()) : fn());
    try {
      if (s?.recovering || s?.gpu.lost()) await recover(s);
      return await attempt();
    } catch (err) {
      // A call that failed because the GPU went away mid-way runs once more on the next backend.
      if (s && s === state && s.gpu.lost()) {
        try {
          await recover(s);
          return await attempt();
        } catch (retryErr) {
          throw toTastebudError(retryErr);
        }
      }
      throw toTastebudError(err);
    }
  };

  return {
    async init(config, onProgress) {
      await holdLifeLock(config.lifeLockName);
      const choice = await selectBackend(config.backends, { demoteEmulated: !config.backendsListed });
      const db = new Database(config.dbName, config.storage);
      await db.get();
      const registry = new ModelRegistry(db, config.models, progress);
      const s: State = {
        config,
        db,
        backend: choice.backend,
        attempts: choice.attempts,
        models: [],
        popularity: new Map(),
        gpu: new GpuLossWatch(choice.backend),
        switches: [],
        recovering: null,
        registry,
        content: new ContentIndex(db, registry, progress, config.baseUrl, config.models.itemVectors, () =>
          catalogState(s).then((c) => c.records),
        ),
        catalog: null,
        channel: null,
        lastUnknownItems: 0,
        adaptations: new Adaptations(db, config.userId),
        forgetting: null,
        users: new UserHistoryCache(async () => {
          const [recent, seen] = await Promise.all([readHistory(db, config.userId, PROFILE_WINDOW), readSeenItemIds(db, config.userId)]);
          return { recent, seen };
        }),
      };
      if (onProgress) s.onProgress = onProgress;
      state = s;
      progress({ task: 'backend', backend: choice.backend, done: 1, total: 1, message: `using ${choice.backend}` });
      s.popularity =
        (await loadTable('popularity', config.models.popularity, () => loadPopularity(config.models.popularity!), s.models)) ?? new Map();
      s.cooccurrence = await loadTable(
        'cooccurrence',
        config.models.cooccurrence,
        () => loadCooccurrence(config.models.cooccurrence!),
        s.models,
      );
      // Start loading now; recommend() waits for it, createRecommender() does not.
      void s.registry.sequence();
      void s.content.shipped();
      // Resume encoding that a reload interrupted (a no-op when every vector is cached).
      if (config.models.text !== undefined || config.models.image !== undefined) {
        void readAllItems(db)
          .then((items) => s.content.encode(items))
          .then(
            () => s.channel?.postMessage({ type: 'vectors-changed' }),
            () => undefined,
          );
      }
      if (typeof BroadcastChannel !== 'undefined') {
        s.channel = new BroadcastChannel(`tastebud:${config.dbName}`);
        s.channel.onmessage = (event: MessageEvent<{ type?: string; userId?: string }>) => {
          if (event.data?.type === 'items-changed') s.catalog = null;
          // Another tab forgot this user: stop adapting and drop the adapted weights held in memory here.
          if (event.data?.type === 'forgotten' && event.data.userId === s.config.userId) {
            void s.registry.sequence().then((handle) => s.adaptations.cancel(handle?.model));
          }
          if (event.data?.type === 'events-changed') historyChanged(s);
          if (event.data?.type === 'vectors-changed') s.content.invalidate();
        };
      }
      return { backend: choice.backend };
    },

    async ping() {
      return 'pong';
    },

    upsertItems: (items) =>
      guard(async () => {
        const s = need();
        progress({ task: 'store-items', done: 0, total: items.length, message: 'storing items' });
        const records = await putItems(s.db, items);
        itemsChanged(s);
        progress({ task: 'store-items', done: items.length, total: items.length, message: 'storing items' });
        const report = await s.content.encode(records);
        if (report.encoded > 0) s.channel?.postMessage({ type: 'vectors-changed' });
        return { upserted: items.length, encoded: report.encoded, failed: report.failed };
      }),

    removeItems: (ids) =>
      guard(async () => {
        const s = need();
        const removed = await deleteItems(s.db, ids);
        itemsChanged(s);
        return { removed };
      }),

    track: (events) =>
      guard(async () => {
        const s = need();
        await s.forgetting?.catch(() => undefined);
        const now = Date.now();
        const stored = await addEvents(s.db, s.config.userId, events, now);
        // A retried batch (events with ids) may be stored in part: read it again rather than guess.
        if (events.some((e) => e.id !== undefined)) s.users.reset();
        else s.users.appended(events.map((e) => trackedToStored(e, now)));
        s.channel?.postMessage({ type: 'events-changed' });
        return { stored };
      }),

    recommend: (options) =>
      guard(async () => {
        const s = need();
        const [{ catalog, neighbors }, sequence, { recent: history, seen }] = await Promise.all([
          catalogState(s),
          readySequence(s),
          s.users.history(),
        ]);
        const seenMask = await s.users.seenMask(catalog);
        const [text, image] = await Promise.all([s.content.matrix('text', catalog), s.content.matrix('image', catalog)]);
        const outcome = await recommendFor(
          {
            catalog,
            neighbors,
            popularity: s.popularity,
            history,
            seen,
            seenMask,
            ...(sequence ? { sequence } : {}),
            ...(text ? { text } : {}),
            ...(image ? { image } : {}),
          },
          options,
        );
        s.lastUnknownItems = outcome.profile.unknownItems + outcome.unknownToModel;
        return outcome.results;
      }, true),

    similar: (itemId, options) =>
      guard(async () => {
        const s = need();
        return similarFor({ ...(await catalogState(s)), content: s.content }, itemId, options);
      }, true),

    coldStartPicks: (options) =>
      guard(async () => {
        const s = need();
        const [{ catalog }, { seen }] = await Promise.all([catalogState(s), s.users.history()]);
        const text = await s.content.matrix('text', catalog);
        const exclude = new Set([...seen, ...(options.exclude ?? [])]);
        return coldStartPicks(catalog, s.popularity, text, options.k ?? DEFAULTS.k, exclude);
      }, true),

    cancelEncoding: async () => {
      state?.content.cancel();
    },

    search: (query, options) =>
      guard(async () => {
        const s = need();
        return searchFor({ catalog: (await catalogState(s)).catalog, content: s.content }, query, options);
      }, true),

    history: (options) =>
      guard(async () => readHistory(need().db, need().config.userId, options.limit ?? DEFAULTS.historyLimit, options.before)),

    exportData: () => guard(async () => exportUser(need().db, need().config.userId)),

    importData: (data, options) =>
      guard(async () => {
        const s = need();
        // The page validated it already; the worker checks again before it trusts data from a file.
        const clean = validateExportData(data);
        await s.forgetting?.catch(() => undefined);
        progress({ task: 'import', done: 0, total: clean.events.length, message: 'importing events' });
        const result = await importUser(s.db, s.config.userId, clean, options.mode ?? DEFAULTS.importMode);
        historyChanged(s, true);
        progress({ task: 'import', done: clean.events.length, total: clean.events.length, message: 'importing events' });
        return result;
      }),

    forget: () =>
      guard(async () => {
        const s = need();
        // Writes that reached the worker before this call commit first and are erased with the rest;
        // writes issued after it wait (s.forgetting); a running adapt() stops and stores nothing.
        const forgetting = (async () => {
          const model = (await s.registry.sequence())?.model;
          await s.adaptations.cancel(model);
          await forgetUser(s.db, s.config.userId);
          historyChanged(s, true);
          s.adaptations.forgotten(model);
          s.channel?.postMessage({ type: 'forgotten', userId: s.config.userId });
        })();
        s.forgetting = forgetting;
        try {
          await forgetting;
        } finally {
          if (s.forgetting === forgetting) s.forgetting = null;
        }
      }),

    adapt: (options) =>
      guard(async () => {
        const s = need();
        const handle = await readySequence(s);
        if (!handle) {
          throw s.config.models.sequence === undefined
            ? new TastebudError('unsupported', 'adapt() fine-tunes the sequence model: pass models.sequence to createRecommender().')
            : new TastebudError('model-load', 'adapt(): the sequence model did not load; see info().models for why.');
        }
        const history = async (): Promise<Int32Array> =>
          modelItemsOf(await readHistory(s.db, s.config.userId, PROFILE_WINDOW), handle.vocabulary);
        return s.adaptations.adapt(handle.model, history, options);
      }),

    resetAdaptation: () =>
      guard(async () => {
        const s = need();
        await s.adaptations.reset((await s.registry.sequence())?.model);
      }),

    info: () =>
      guard(async () => {
        const s = need();
        const [items, events, userEvents, vectors] = await Promise.all([
          countItems(s.db),
          countAllEvents(s.db),
          countUserEvents(s.db, s.config.userId),
          countVectors(s.db),
        ]);
        const storage: { usage?: number; quota?: number; persisted: boolean | 'unknown' } = { persisted: 'unknown' };
        try {
          const estimate = await navigator.storage?.estimate();
          if (estimate?.usage !== undefined) storage.usage = estimate.usage;
          if (estimate?.quota !== undefined) storage.quota = estimate.quota;
          if (navigator.storage?.persisted) storage.persisted = await navigator.storage.persisted();
        } catch {
          /* estimate is best effort */
        }
        return {
          version: s.config.version,
          userId: s.config.userId,
          dbName: s.config.dbName,
          backend: s.backend,
          backendsTried: s.attempts,
          ...(s.backend === 'wasm' ? { wasm: await (await import('./backends/wasm')).wasmInfo() } : {}),
          backendSwitches: s.switches,
          storageMode: s.config.storage,
          models: [...s.models, ...s.registry.info(), ...s.content.info()],
          counts: {
            items,
            events,
            userEvents,
            vectors: vectors + s.content.shippedVectorCount(),
            unknownHistoryItems: s.lastUnknownItems,
            failedContentItems: s.content.failedItems,
          },
          storage,
          memory: { tensors: tf.memory().numTensors, bytes: tf.memory().numBytes },
        };
      }),

    async dispose() {
      const s = state;
      state = null;
      disposed = true;
      if (!s) return;
      s.channel?.close();
      await s.registry.dispose();
      await s.db.close();
      tf.disposeVariables();
    },
  };
}
