/** `createRecommender`: validates at the edge, then forwards to the worker engine. */
import { WorkerClient } from './worker-client';
import { resolveOptions, type ResolvedOptions } from './options';
import { DEFAULTS } from '../common/defaults';
import {
  validateEvents,
  validateExportData,
  validateHistoryOptions,
  validateIds,
  validateImportOptions,
  validateItems,
  validateRecommendOptions,
  validateSimilarOptions,
  checkId,
  validateQuery,
  validateUpsertOptions,
  validateAdaptOptions,
} from '../common/validate';
import { TastebudError } from '../common/errors';
import type { Info, ModelUrls, Recommender, RecommenderOptions } from '../common/types';
import { VERSION } from './version';

function defaultWorker(options: ResolvedOptions): Worker {
  if (options.workerUrl !== undefined) return new Worker(options.workerUrl, { type: 'module', name: 'tastebud' });
  // Written literally so that bundlers (vite, webpack, rollup) find and bundle the worker.
  return new Worker(new URL('../workers/engine.worker.ts', import.meta.url), { type: 'module', name: 'tastebud' });
}

/** The worker resolves URLs against its own script, so relative model URLs are made absolute here. */
function absoluteModelUrls(models: ModelUrls): ModelUrls {
  const base = typeof location !== 'undefined' ? location.href : undefined;
  const abs = (url: string): string => {
    try {
      return new URL(url, base).href;
    } catch {
      throw new TastebudError('invalid-argument', `options.models: ${JSON.stringify(url.slice(0, 100))} is not a valid URL`, {
        field: 'options.models',
      });
    }
  };
  const out: ModelUrls = {};
  for (const [key, value] of Object.entries(models) as Array<[keyof ModelUrls, ModelUrls[keyof ModelUrls]]>) {
    (out as Record<string, unknown>)[key] = typeof value === 'string' ? abs(value) : value;
  }
  return out;
}

/**
 * Every public method rejects only with a TastebudError: anything else thrown
 * on the page comes from the caller's values (a getter that throws, a Proxy),
 * so it is reported as `invalid-argument`.
 */
function rejectOnlyTastebudErrors(recommender: Recommender): Recommender {
  const out: Record<string, unknown> = {};
  for (const [name, method] of Object.entries(recommender) as Array<[string, (...args: unknown[]) => Promise<unknown>]>) {
    out[name] = async (...args: unknown[]) => {
      try {
        return await method(...args);
      } catch (err) {
        if (err instanceof TastebudError) throw err;
        throw new TastebudError(
          'invalid-argument',
          `${name}(): could not read the arguments: ${err instanceof Error ? err.message : String(err)}`,
          {
            cause: err,
          },
        );
      }
    };
  }
  return out as unknown as Recommender;
}

async function requestPersistence(): Promise<void> {
  try {
    if (typeof navigator !== 'undefined' && navigator.storage?.persist) await navigator.storage.persist();
  } catch {
    // Refusal is reported by info().storage.persisted; it is not an error.
  }
}

/**
 * Starts the engine worker (backend self-test, database) and resolves once it is
 * ready. Rejects with `TastebudError`: `invalid-argument` for bad options,
 * `backend-unavailable` when no backend passes its self-test, `storage-unavailable`
 * when IndexedDB cannot be opened.
 */
export async function createRecommender(options?: RecommenderOptions): Promise<Recommender> {
  const resolved = resolveOptions(options);
  if (typeof Worker === 'undefined') {
    throw new TastebudError('unsupported', 'tastebud runs in browsers with module Web Workers; this environment has no Worker.');
  }
  if (resolved.persist) await requestPersistence();
  const clientOptions = {
    createWorker: () => defaultWorker(resolved),
    config: {
      userId: resolved.userId,
      dbName: resolved.dbName,
      storage: resolved.storage,
      backends: resolved.backends,
      backendsListed: resolved.backendsListed,
      models: absoluteModelUrls(resolved.models),
      version: VERSION,
      ...(typeof location !== 'undefined' ? { baseUrl: location.href } : {}),
    },
    timeoutMs: resolved.timeoutMs,
    ...(resolved.onProgress ? { onProgress: resolved.onProgress } : {}),
  };
  const client = new WorkerClient(clientOptions);
  await client.start();

  return rejectOnlyTastebudErrors({
    upsertItems: async (items, opts) => {
      const clean = validateItems(items);
      const signal = validateUpsertOptions(opts).signal;
      if (signal?.aborted) throw new TastebudError('aborted', 'upsertItems() was aborted before it started.');
      const onAbort = (): void => {
        void client.call('cancelEncoding').catch(() => undefined);
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      try {
        return await client.call('upsertItems', clean);
      } finally {
        signal?.removeEventListener('abort', onAbort);
      }
    },
    search: async (query, opts) => client.call('search', validateQuery(query), validateSimilarOptions(opts)),
    removeItems: async (ids) => client.call('removeItems', validateIds(ids)),
    track: async (events) => client.call('track', validateEvents(events)),
    recommend: async (opts) => client.call('recommend', validateRecommendOptions(opts)),
    similar: async (itemId, opts) => client.call('similar', checkId(itemId, 'itemId'), validateSimilarOptions(opts)),
    history: async (opts) => client.call('history', validateHistoryOptions(opts)),
    coldStartPicks: async (opts) => client.call('coldStartPicks', validateSimilarOptions(opts)),
    exportData: async () => client.call('exportData'),
    importData: async (data, opts) => client.call('importData', validateExportData(data), validateImportOptions(opts)),
    forget: async () => client.call('forget'),
    adapt: async (opts) => {
      const clean = validateAdaptOptions(opts);
      // The caller chose how long it may run: the timeout covers that plus the usual margin.
      return client.callWithin(resolved.timeoutMs + (clean.maxMs ?? DEFAULTS.adapt.maxMs), 'adapt', clean);
    },
    resetAdaptation: async () => client.call('resetAdaptation'),
    info: async (): Promise<Info> => ({ ...(await client.call('info')), workerRestarts: client.restarts }),
    dispose: async () => client.dispose(),
  });
}
