/**
 * Item 6: tampered or broken models give typed errors, and a model cached by an
 * earlier good load keeps serving. (A wrong sha256 without a cache: e2e/sequence.spec.ts.)
 * Faults are injected with Playwright request interception on the worker's fetches.
 */
import { readFileSync } from 'node:fs';
import type { Page, Route } from '@playwright/test';
import { test, expect, uniqueDb } from '../fixtures';
import { recordFaults } from './fault-log';

interface Golden {
  history: string[];
  relative: Array<{ itemId: string; score: number }>;
}
const DIR = new URL('../harness/public/models/tiny-sasrec/', import.meta.url);
const golden = JSON.parse(readFileSync(new URL('golden.json', DIR), 'utf8')) as Golden;
const manifest = JSON.parse(readFileSync(new URL('manifest.json', DIR), 'utf8')) as {
  version: string;
  formatVersion: number;
  files: Array<{ path: string; bytes: number }>;
  config: Record<string, unknown>;
};
const weightsPath = manifest.files.find((f) => f.path.endsWith('.bin'))!.path;
const weights = readFileSync(new URL(weightsPath, DIR));
const items = golden.relative.map(({ itemId }) => ({ id: itemId, meta: { title: `Movie ${itemId.slice(1)}` } }));
const MODEL = '/models/tiny-sasrec/manifest.json';

function escapingPath(path: string): { code: string; message: RegExp; route: (route: Route) => Promise<void> } {
  return {
    code: 'model-integrity',
    message: /inside its own directory/,
    route: async (route) =>
      route.request().url().endsWith('manifest.json')
        ? route.fulfill({
            json: {
              ...manifest,
              version: `${manifest.version}-update`,
              files: manifest.files.map((f) => (f.path === weightsPath ? { ...f, path } : f)),
            },
          })
        : route.continue(),
  };
}

/** Each broken deployment: how the network answers for the model directory. */
const BROKEN: Record<string, { code: string; message: RegExp; route: (route: Route) => Promise<void> }> = {
  // An update whose weights file was cut short in transit.
  'truncated weights': {
    code: 'model-integrity',
    message: /truncated/,
    route: async (route) => {
      const url = route.request().url();
      if (url.endsWith('manifest.json')) return route.fulfill({ json: { ...manifest, version: `${manifest.version}-update` } });
      if (url.endsWith(weightsPath))
        return route.fulfill({ body: weights.subarray(0, Math.floor(weights.length / 2)), contentType: 'application/octet-stream' });
      return route.continue();
    },
  },
  'newer manifest format': {
    code: 'unsupported',
    message: /format 99 is newer/,
    route: async (route) =>
      route.request().url().endsWith('manifest.json') ? route.fulfill({ json: { ...manifest, formatVersion: 99 } }) : route.continue(),
  },
  // Every file verifies, but the config does not fit the weights: it must be built and checked before it replaces the cache.
  'update that cannot be built (config and weights disagree)': {
    code: 'model-load',
    message: /could not be built|self-check|heads|divisible|shape/i,
    route: async (route) =>
      route.request().url().endsWith('manifest.json')
        ? route.fulfill({ json: { ...manifest, version: `${manifest.version}-update`, config: { ...manifest.config, heads: 3 } } })
        : route.continue(),
  },
  // Paths that pass a check on the raw string but resolve outside the model's folder.
  'file path %2e%2e/ into a sibling folder': escapingPath(`%2e%2e/tampered-sasrec/${weightsPath}`),
  'file path with a leading tab (absolute once resolved)': escapingPath(`\t/models/tampered-sasrec/${weightsPath}`),
  'file path with backslashes (another origin once resolved)': escapingPath(`\\\\evil.invalid\\${weightsPath}`),
  'file declared larger than the size cap': {
    code: 'model-integrity',
    message: /allowed/,
    route: async (route) =>
      route.request().url().endsWith('manifest.json')
        ? route.fulfill({
            json: {
              ...manifest,
              version: `${manifest.version}-update`,
              files: manifest.files.map((f) => (f.path === weightsPath ? { ...f, bytes: 2 ** 40 } : f)),
            },
          })
        : route.continue(),
  },
  '404': {
    code: 'model-load',
    message: /HTTP 404/,
    route: async (route) => route.fulfill({ status: 404, body: 'not found' }),
  },
};

function run(page: Page, dbName: string, backends: string[]) {
  return page.evaluate(
    async ({ backends, dbName, items, history, model }) => {
      const r = await window.tastebud.createRecommender({
        backends: backends as Array<'cpu'>,
        dbName,
        models: { sequence: model, popularity: { m1: 5 } },
      });
      await r.upsertItems(items);
      if ((await r.history()).length === 0) await r.track(history.map((itemId, i) => ({ itemId, type: 'view' as const, at: 1000 + i })));
      const recs = await r.recommend({ k: 5 });
      const info = await r.info();
      await r.dispose();
      return { recs, model: info.models.find((m) => m.kind === 'sequence')!, events: info.counts.userEvents };
    },
    { backends, dbName, items, history: golden.history, model: MODEL },
  );
}

for (const [name, broken] of Object.entries(BROKEN)) {
  test(`model ${name}: typed error ${broken.code} without a cache, the cached model keeps serving with one`, async ({
    harness,
    backends,
  }, testInfo) => {
    // No cached copy: the model is reported as failed with a typed code, ranking falls back to popularity.
    await harness.route('**/models/tiny-sasrec/**', broken.route);
    const cold = await run(harness, uniqueDb(`${testInfo.title}-cold`), backends);
    await harness.unroute('**/models/tiny-sasrec/**');
    expect(cold.model).toMatchObject({ status: 'error', errorCode: broken.code });
    expect(cold.model.error).toMatch(broken.message);
    expect(cold.recs[0]).toMatchObject({ itemId: 'm1', reasons: [{ source: 'popular' }] });

    // A good load first, then the broken deployment: the verified cached copy keeps serving.
    const dbName = uniqueDb(testInfo.title);
    const good = await run(harness, dbName, backends);
    expect(good.model).toMatchObject({ status: 'ready' });
    await harness.route('**/models/tiny-sasrec/**', broken.route);
    const after = await run(harness, dbName, backends);
    await harness.unroute('**/models/tiny-sasrec/**');
    expect(after.model).toMatchObject({ status: 'ready', version: manifest.version, errorCode: broken.code });
    expect(after.model.error).toMatch(broken.message);
    expect(after.recs).toEqual(good.recs);
    expect(after.recs[0]!.reasons[0]!.source).toBe('sequence');
    recordFaults(testInfo, { targeted: 2, acknowledged: golden.history.length, found: after.events });
  });
}
