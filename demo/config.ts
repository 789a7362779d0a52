/** Demo settings from the page URL (used by the tests and handy for trying things). */
import type { BackendName, ModelUrls } from '../lib/index';

export interface DemoConfig {
  /** Only the N most watched movies (fast tests, small devices). */
  limit: number | null;
  /** Use poster vectors (shipped ones; `?images=0` leaves posters out). */
  images: boolean;
  /** Use the vectors shipped with the catalog (`?vectors=0`: the browser encodes everything, as a site without `tastebud embed` would). */
  vectors: boolean;
  backends: BackendName[] | undefined;
  models: ModelUrls;
  dbName: string;
}

const BACKENDS: readonly BackendName[] = ['webgpu', 'webgl', 'wasm', 'cpu'];

export function readConfig(search: string): DemoConfig {
  const params = new URLSearchParams(search);
  const limitRaw = Number(params.get('limit'));
  const limit = Number.isInteger(limitRaw) && limitRaw > 0 ? limitRaw : null;
  const images = params.get('images') !== '0';
  const vectors = params.get('vectors') !== '0';
  const backends = params
    .get('backends')
    ?.split(',')
    .filter((b): b is BackendName => (BACKENDS as readonly string[]).includes(b));
  const models: ModelUrls = {
    text: 'models/text/manifest.json',
    // `?sequence=<url>` swaps the model, e.g. for a broken one to see the error state.
    sequence: params.get('sequence') ?? 'catalog/model/manifest.json',
    popularity: 'catalog/popularity.json',
    cooccurrence: 'catalog/cooccurrence.json',
  };
  if (images) models.image = 'models/image/manifest.json';
  if (vectors) models.itemVectors = 'catalog/vectors/manifest.json';
  return {
    limit,
    images,
    vectors,
    models,
    backends: backends && backends.length > 0 ? backends : undefined,
    dbName: `tastebud-demo${limit === null ? '' : `-top${limit}`}${images ? '' : '-noimg'}${vectors ? '' : '-novec'}`,
  };
}
