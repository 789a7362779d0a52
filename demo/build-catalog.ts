/**
 * Builds the demo's MovieLens catalog into demo/.catalog/ (git-ignored, never
 * published): catalog.json, popularity and co-occurrence tables, poster links,
 * and a SASRec model trained with the CLI, its blend weights fitted by
 * `tastebud blend`, and the text and poster vectors computed by `tastebud embed`
 * (so visitors never encode the catalog). Everything is reused while its
 * inputs are unchanged, so later runs take seconds; a rebuild says why.
 *
 *   node --import tsx demo/build-catalog.ts [--data-dir <dir>] [--train-minutes N] [--retrain]
 *   env: TASTEBUD_DATA_DIR, TASTEBUD_DEMO_TRAIN_MINUTES (default 3, 1 under CI),
 *        TASTEBUD_DEMO_TRAIN_USERS (default all, 1500 under CI),
 *        TASTEBUD_DEMO_BLEND_USERS (default 1000, 300 under CI)
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { copyFileSync, existsSync, linkSync, mkdirSync, readFileSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { DemoSetupError, locateDataset, type DatasetFiles } from './build/dataset';
import { blendItemLine, readMovies, readPlots, posterFile, titleKey, type CatalogMovie } from './build/movies';
import { buildTables, readSequences } from '../training/tables';
import { movieText, posterRef } from './catalog';

const REPO_ROOT = resolve(import.meta.dirname, '..');
export const CATALOG_DIR = join(REPO_ROOT, 'demo', '.catalog');
/** Bump when the catalog format changes so old builds are redone. */
const FORMAT = 3;
const MAX_LEN = 50;

interface BuildRecord {
  format: number;
  catalog: string;
  /** Fingerprint of the interactions and model settings the model was trained on. */
  model?: string;
  /** Users it was trained on (null: all). */
  users?: number | null;
  vectors?: string;
}

function sha256File(file: string, hash = createHash('sha256')): ReturnType<typeof createHash> {
  return hash.update(readFileSync(file));
}

/** `model` ignores the user count, so a model trained on fewer users (as under CI) is reused and said so; `legacyModel` is how older builds recorded it. */
function fingerprints(data: DatasetFiles, users: number | null): { catalog: string; model: string; legacyModel: string } {
  const interactions = readFileSync(data.interactions);
  const model = createHash('sha256').update(interactions).update(`maxLen=${MAX_LEN};blend=1`).digest('hex').slice(0, 16);
  const legacyModel = createHash('sha256')
    .update(interactions)
    .update(`maxLen=${MAX_LEN};users=${users ?? 'all'};blend=1`)
    .digest('hex')
    .slice(0, 16);
  const h = sha256File(data.movies).update(`format=${FORMAT}`);
  if (data.plots) sha256File(data.plots, h);
  if (data.posters) h.update(readdirSync(data.posters).sort().join(','));
  return { catalog: h.digest('hex').slice(0, 16), model, legacyModel };
}

const usersText = (users: number | null | undefined): string => (users === null || users === undefined ? 'all users' : `${users} users`);

function readRecord(): BuildRecord | null {
  try {
    return JSON.parse(readFileSync(join(CATALOG_DIR, 'build.json'), 'utf8')) as BuildRecord;
  } catch {
    return null;
  }
}

function linkPosters(movies: CatalogMovie[], postersDir: string): void {
  const out = join(CATALOG_DIR, 'posters');
  mkdirSync(out, { recursive: true });
  for (const movie of movies) {
    const src = posterFile(postersDir, movie.id);
    if (!src) continue;
    const dest = join(out, `${movie.id}.jpg`);
    if (!existsSync(dest)) {
      try {
        linkSync(src, dest);
      } catch {
        copyFileSync(src, dest);
      }
    }
    movie.poster = `posters/${movie.id}.jpg`;
  }
}

function buildCatalog(data: DatasetFiles, version: string): void {
  const started = Date.now();
  const sequences = readSequences(data.interactions);
  const tables = buildTables(sequences);
  const plots = data.plots ? readPlots(data.plots) : new Map<string, string>();
  const counts = tables.popularity.counts;
  const movies: CatalogMovie[] = readMovies(data.movies).map((m) => ({
    ...m,
    plot: plots.get(titleKey(m.title, m.year)) ?? '',
    poster: null,
  }));
  // Most watched first: the page shows (and tests encode) the head of the list.
  movies.sort((a, b) => (counts[b.id] ?? 0) - (counts[a.id] ?? 0) || Number(a.id) - Number(b.id));
  if (data.posters) linkPosters(movies, data.posters);
  writeFileSync(join(CATALOG_DIR, 'popularity.json'), JSON.stringify(tables.popularity));
  writeFileSync(join(CATALOG_DIR, 'cooccurrence.json'), JSON.stringify(tables.cooccurrence));
  writeFileSync(join(CATALOG_DIR, 'catalog.json'), JSON.stringify({ version, builtAt: new Date().toISOString(), movies }));
  const withPlot = movies.filter((m) => m.plot !== '').length;
  const withPoster = movies.filter((m) => m.poster !== null).length;
  process.stderr.write(
    `catalog: ${movies.length} movies (${withPlot} with plots, ${withPoster} with posters) in ${((Date.now() - started) / 1000).toFixed(1)}s\n`,
  );
}

/** The lines of the first `users` users (both files list users in blocks), for a quicker CI model. */
function userSubset(interactions: string, users: number): string {
  const out: string[] = [];
  const seen = new Set<string>();
  for (const line of readFileSync(interactions, 'utf8').split('\n')) {
    const user = (line.includes('::') ? line.split('::', 1)[0] : line.split(' ', 1)[0]) ?? '';
    if (user === '') continue;
    if (!seen.has(user)) {
      if (seen.size === users) break;
      seen.add(user);
    }
    out.push(line);
  }
  const file = join(CATALOG_DIR, `interactions-${users}-users${interactions.endsWith('.dat') ? '.dat' : '.txt'}`);
  writeFileSync(file, `${out.join('\n')}\n`);
  return file;
}

function trainModel(data: DatasetFiles, minutes: number, users: number | null): void {
  const tmp = join(CATALOG_DIR, 'model.training');
  const dest = join(CATALOG_DIR, 'model');
  rmSync(tmp, { recursive: true, force: true });
  const who = users === null ? 'all users' : `the first ${users} users`;
  process.stderr.write(
    `training the sequence model (SASRec, maxLen ${MAX_LEN}, ${who}, at most ${minutes} min after the first epoch; set TASTEBUD_DEMO_TRAIN_MINUTES to change)\n`,
  );
  const interactions = users === null ? data.interactions : userSubset(data.interactions, users);
  const result = spawnSync(
    process.execPath,
    [
      '--import',
      'tsx',
      join(REPO_ROOT, 'cli', 'index.ts'),
      'train',
      '--interactions',
      interactions,
      '--out',
      tmp,
      '--max-len',
      String(MAX_LEN),
      '--dim',
      '48',
      '--blocks',
      '2',
      '--dropout',
      '0.2',
      '--lr',
      '0.002',
      '--batch-size',
      '128',
      '--eval-every',
      '1',
      '--patience',
      '3',
      '--max-minutes',
      String(minutes),
    ],
    { stdio: ['ignore', 'ignore', 'inherit'], cwd: REPO_ROOT },
  );
  if (result.status !== 0 || !existsSync(join(tmp, 'manifest.json')))
    throw new DemoSetupError('Training the sequence model failed (see the lines above).');
  runBlend(tmp, interactions);
  rmSync(dest, { recursive: true, force: true });
  renameSync(tmp, dest);
}

/**
 * `tastebud blend` on the fresh model, so the demo ranks with weights fitted on
 * its own validation data (titles, genres and plots; posters are left out:
 * encoding 3,700 of them in Node takes minutes, so the image weight keeps the
 * worker's default for a sequence model).
 */
function runBlend(modelDir: string, interactions: string): void {
  const { movies } = JSON.parse(readFileSync(join(CATALOG_DIR, 'catalog.json'), 'utf8')) as { movies: CatalogMovie[] };
  const items = join(CATALOG_DIR, 'items.jsonl');
  writeFileSync(items, `${movies.map((m) => blendItemLine(m)).join('\n')}\n`);
  const users = process.env.TASTEBUD_DEMO_BLEND_USERS ?? (process.env.CI ? '300' : '1000');
  process.stderr.write(`fitting the blend weights on ${users} users (set TASTEBUD_DEMO_BLEND_USERS to change)\n`);
  const result = spawnSync(
    process.execPath,
    [
      '--import',
      'tsx',
      join(REPO_ROOT, 'cli', 'index.ts'),
      'blend',
      '--model',
      modelDir,
      '--interactions',
      interactions,
      '--items',
      items,
      '--users',
      users,
      '--json',
      join(CATALOG_DIR, 'blend.json'),
    ],
    { stdio: ['ignore', 'inherit', 'inherit'], cwd: REPO_ROOT },
  );
  if (result.status !== 0) throw new DemoSetupError('Fitting the blend weights failed (see the lines above).');
}

/**
 * `tastebud embed` over the page's own item text and poster references, into
 * demo/.catalog/vectors (served as models.itemVectors). Rebuilt only when the
 * items or the shipped encoders change.
 */
function embedVectors(previous: string | undefined): string {
  const { movies } = JSON.parse(readFileSync(join(CATALOG_DIR, 'catalog.json'), 'utf8')) as { movies: CatalogMovie[] };
  const lines = movies.map((m) => {
    const poster = posterRef(m);
    return JSON.stringify({ id: m.id, text: movieText(m), ...(poster !== null ? { image: poster, imageFile: m.poster } : {}) });
  });
  const items = join(CATALOG_DIR, 'embed-items.jsonl');
  writeFileSync(items, `${lines.join('\n')}\n`);
  const h = createHash('sha256').update(lines.join('\n'));
  for (const kind of ['text', 'image']) sha256File(join(REPO_ROOT, 'public', 'models', kind, 'manifest.json'), h);
  const fp = h.digest('hex').slice(0, 16);
  const dest = join(CATALOG_DIR, 'vectors');
  if (previous === fp && existsSync(join(dest, 'manifest.json'))) {
    process.stderr.write('item vectors: up to date\n');
    return fp;
  }
  process.stderr.write(
    `item vectors: ${previous === undefined ? 'none yet' : 'the catalog or an encoder changed'}; computing text and poster vectors for ${movies.length} movies with \`tastebud embed\` (a few minutes, once)\n`,
  );
  const tmp = join(CATALOG_DIR, 'vectors.building');
  rmSync(tmp, { recursive: true, force: true });
  const result = spawnSync(
    process.execPath,
    ['--import', 'tsx', join(REPO_ROOT, 'cli', 'index.ts'), 'embed', '--items', items, '--out', tmp],
    { stdio: ['ignore', 'inherit', 'inherit'], cwd: REPO_ROOT },
  );
  if (result.status !== 0) throw new DemoSetupError('Computing the item vectors failed (see the lines above).');
  rmSync(dest, { recursive: true, force: true });
  renameSync(tmp, dest);
  return fp;
}

/** TASTEBUD_DEMO_TRAIN_USERS (default: all; 1500 under CI) trades model quality for a quicker first build. */
function trainUsers(): number | null {
  const raw = process.env.TASTEBUD_DEMO_TRAIN_USERS ?? (process.env.CI ? '1500' : '');
  if (raw === '' || raw === 'all') return null;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 10)
    throw new DemoSetupError(`TASTEBUD_DEMO_TRAIN_USERS must be an integer >= 10 or "all", got "${raw}".`);
  return n;
}

function trainMinutes(flag: string | undefined): number {
  const raw = flag ?? process.env.TASTEBUD_DEMO_TRAIN_MINUTES ?? (process.env.CI ? '1' : '3');
  const n = Number(raw);
  if (!Number.isFinite(n) || n <= 0) throw new DemoSetupError(`The training budget must be a positive number of minutes, got "${raw}".`);
  return n;
}

export function main(argv: string[]): void {
  const { values } = parseArgs({
    args: argv,
    options: { 'data-dir': { type: 'string' }, 'train-minutes': { type: 'string' }, retrain: { type: 'boolean' } },
    strict: true,
  });
  const minutes = trainMinutes(values['train-minutes']);
  const users = trainUsers();
  const data = locateDataset(values['data-dir'] ?? process.env.TASTEBUD_DATA_DIR, REPO_ROOT);
  mkdirSync(CATALOG_DIR, { recursive: true });
  const fp = fingerprints(data, users);
  const previous = readRecord();
  const record: BuildRecord = { format: FORMAT, catalog: fp.catalog };
  const catalogWhy = !existsSync(join(CATALOG_DIR, 'catalog.json'))
    ? 'no catalog yet'
    : previous?.format !== FORMAT
      ? 'built by an older demo version'
      : previous.catalog !== fp.catalog
        ? 'the MovieLens movie, plot or poster files changed'
        : null;
  if (catalogWhy === null) process.stderr.write(`catalog: up to date (${CATALOG_DIR})\n`);
  else {
    process.stderr.write(`catalog: building (${catalogWhy})\n`);
    buildCatalog(data, fp.catalog);
  }
  const hasModel = existsSync(join(CATALOG_DIR, 'model', 'manifest.json'));
  const sameData = previous?.model === fp.model || previous?.model === fp.legacyModel;
  const trainedUsers = previous?.model === fp.legacyModel ? users : previous?.users;
  if (!values.retrain && hasModel && sameData) {
    const note =
      trainedUsers === users
        ? ''
        : `; trained on ${usersText(trainedUsers)}, while ${usersText(users)} are asked for now: pass --retrain for that`;
    process.stderr.write(`sequence model: reusing the trained model (pass --retrain to train again${note})\n`);
    record.users = trainedUsers ?? null;
  } else {
    const why = values.retrain ? '--retrain' : !hasModel ? 'no model yet' : 'the interactions file or the model settings changed';
    process.stderr.write(`sequence model: training (${why})\n`);
    trainModel(data, minutes, users);
    record.users = users;
  }
  record.model = fp.model;
  record.vectors = embedVectors(previous?.vectors);
  writeFileSync(join(CATALOG_DIR, 'build.json'), JSON.stringify(record, null, 2));
  process.stderr.write(`demo catalog ready in ${CATALOG_DIR}\n`);
}

try {
  main(process.argv.slice(2));
} catch (err) {
  if (err instanceof DemoSetupError) process.stderr.write(`\n${err.message}\n\n`);
  else process.stderr.write(`tastebud demo: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exitCode = 1;
}
