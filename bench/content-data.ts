/**
 * ML-1M data for the content benchmarks: sequences, item texts (title +
 * genres + plot from ml-100k-plots joined by normalised title) and posters,
 * and the text / image vectors of every item, computed with the shipped
 * encoders and cached under bench/.cache/ (git-ignored: derived from
 * MovieLens, never commit it).
 *
 * Items are indexed 1..numItems in ascending MovieID order over the rated
 * movies (0 = padding), as in ../shared/datasets/README.md. Vector arrays are
 * (numItems + 1) × dim row-major with row 0 all zeros, so item i is row i.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { readModelDir } from '../training/model-dir';
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { encodeImageFiles } from '../training/images';
import { loadTextEncoder } from '../workers/models/text/encoder';

export const ROOT = new URL('../', import.meta.url);
export const CACHE_DIR = new URL('bench/.cache/', ROOT);

export interface Ml1m {
  numItems: number;
  /** movieIds[i] = MovieID of item i (index 0 unused). */
  movieIds: number[];
  titles: string[];
  genres: string[][];
  /** Per user, item indices oldest first. */
  seqs: Int32Array[];
  /** Item text per index (index 0 = ''). */
  texts: string[];
  /** How many items got a plot from ml-100k-plots. */
  plots: number;
}

export interface ContentBenchData {
  /** performance.now() at the start, for the total run time. */ t0: number;
  datasets: string;
  log: (s: string) => void;
  data: Ml1m;
  text: ItemVectors;
  image: ItemVectors;
}

/** The start shared by the content benchmarks: `--datasets`, a timed logger, ML-1M and its text / image vectors. */
export async function loadContentBench(): Promise<ContentBenchData> {
  const t0 = performance.now();
  const datasets = argValue('--datasets', '../shared/datasets');
  const log = (s: string): void => console.log(`[${((performance.now() - t0) / 1000).toFixed(0).padStart(4)} s] ${s}`);
  const data = loadMl1m(datasets);
  log(`ML-1M: ${data.seqs.length} users, ${data.numItems} items, ${data.plots} items with a plot`);
  const text = await textVectors(data);
  log(`text vectors: ${text.covered} items${text.cached ? ' (cached)' : ` in ${text.seconds.toFixed(1)} s`}`);
  const image = await imageVectors(data, datasets, log);
  log(`image vectors: ${image.covered} items${image.cached ? ' (cached)' : ` in ${image.seconds.toFixed(1)} s`}`);
  return { t0, datasets, log, data, text, image };
}

export function argValue(name: string, fallback: string): string {
  const i = process.argv.indexOf(name);
  if (i >= 0 && process.argv[i + 1]) return process.argv[i + 1]!;
  const eq = process.argv.find((a) => a.startsWith(`${name}=`));
  return eq ? eq.slice(name.length + 1) : fallback;
}

export function normTitle(t: string): string {
  let s = t
    .toLowerCase()
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '');
  // "Godfather, The (1972)" → "the godfather (1972)"
  s = s.replace(/^(.*), (the|a|an|la|le|les|il|el|das|der|die)( \(\d{4}\))$/, '$2 $1$3');
  return s.replace(/[^a-z0-9]+/g, ' ').trim();
}

export function loadMl1m(datasets: string): Ml1m {
  const dir = join(datasets, 'ml-1m');
  const movies = new Map<number, { title: string; genres: string[] }>();
  for (const line of readFileSync(join(dir, 'movies.dat'), 'latin1').split('\n')) {
    if (!line.trim()) continue;
    const [id, title, g] = line.split('::');
    movies.set(Number(id), { title: title!.trim(), genres: (g ?? '').trim().split('|').filter(Boolean) });
  }
  const rawSeqs = new Map<number, number[]>();
  const rated = new Set<number>();
  for (const line of readFileSync(join(dir, 'sequences.txt'), 'utf8').split('\n')) {
    if (!line.trim()) continue;
    const [u, m] = line.split(' ').map(Number) as [number, number];
    rated.add(m);
    let s = rawSeqs.get(u);
    if (!s) {
      s = [];
      rawSeqs.set(u, s);
    }
    s.push(m);
  }
  const movieIds = [0, ...[...rated].sort((a, b) => a - b)];
  const index = new Map(movieIds.map((m, i) => [m, i]));
  const seqs = [...rawSeqs.keys()].sort((a, b) => a - b).map((u) => Int32Array.from(rawSeqs.get(u)!, (m) => index.get(m)!));

  const plotsByTitle = new Map<string, string>();
  const plotFile = join(datasets, 'ml-100k-plots', 'movielens100k_details.json');
  if (existsSync(plotFile)) {
    const details = JSON.parse(readFileSync(plotFile, 'utf8')) as Array<{ movie_title?: string; description?: string }>;
    for (const d of details) {
      if (typeof d.movie_title === 'string' && typeof d.description === 'string' && d.description.trim())
        plotsByTitle.set(normTitle(d.movie_title), d.description.trim());
    }
  }
  let plots = 0;
  const titles = movieIds.map((m) => movies.get(m)?.title ?? '');
  const genres = movieIds.map((m) => movies.get(m)?.genres ?? []);
  const texts = movieIds.map((m, i) => {
    if (i === 0) return '';
    const mv = movies.get(m);
    if (!mv) return '';
    const plot = plotsByTitle.get(normTitle(mv.title));
    if (plot) plots++;
    return `${mv.title} ${mv.genres.join('|')}${plot ? `\n${plot}` : ''}`;
  });
  return { numItems: movieIds.length - 1, movieIds, titles, genres, seqs, texts, plots };
}

function cacheKey(parts: string[]): string {
  return createHash('sha256').update(parts.join('\u0000')).digest('hex').slice(0, 16);
}

function readCache(name: string, length: number): Float32Array | null {
  const file = new URL(name, CACHE_DIR);
  if (!existsSync(file)) return null;
  const b = readFileSync(file);
  if (b.byteLength !== length * 4) return null;
  return new Float32Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength));
}

function writeCache(name: string, v: Float32Array): void {
  mkdirSync(CACHE_DIR, { recursive: true });
  writeFileSync(new URL(name, CACHE_DIR), new Uint8Array(v.buffer, v.byteOffset, v.byteLength));
}

export interface ItemVectors {
  dim: number;
  vectors: Float32Array;
  /** items with a non-zero row */ covered: number;
  seconds: number;
  cached: boolean;
}

function covered(v: Float32Array, dim: number, rows: number): number {
  let c = 0;
  for (let i = 0; i < rows; i++) {
    for (let d = 0; d < dim; d++)
      if (v[i * dim + d] !== 0) {
        c++;
        break;
      }
  }
  return c;
}

export async function textVectors(data: Ml1m): Promise<ItemVectors> {
  const { manifest, files } = await readModelDir(fileURLToPath(new URL('public/models/text/', ROOT)), 'text');
  const dim = Number(manifest.config.dim);
  const name = `ml1m-text-${cacheKey([manifest.version, ...data.texts])}.f32`;
  const rows = data.numItems + 1;
  const hit = readCache(name, rows * dim);
  if (hit) return { dim, vectors: hit, covered: covered(hit, dim, rows), seconds: 0, cached: true };
  const t0 = performance.now();
  if (tf.getBackend() !== 'cpu') await tf.setBackend('cpu');
  const enc = await loadTextEncoder(manifest, files);
  const v = enc.encode(data.texts);
  enc.dispose();
  const seconds = (performance.now() - t0) / 1000;
  writeCache(name, v);
  return { dim, vectors: v, covered: covered(v, dim, rows), seconds, cached: false };
}

/** Posters are encoded on tfjs's wasm backend (cpu as fallback); a missing poster leaves a zero row. */
export async function imageVectors(data: Ml1m, datasets: string, log: (s: string) => void = () => {}): Promise<ItemVectors> {
  const modelDir = fileURLToPath(new URL('public/models/image/', ROOT));
  const { manifest } = await readModelDir(modelDir, 'image');
  const dim = Number(manifest.config.dim);
  const posterDir = join(datasets, 'ml-1m', 'posters');
  const present = data.movieIds.map((m, i) => i > 0 && existsSync(join(posterDir, `${m}.jpg`)));
  const name = `ml1m-image-${cacheKey([manifest.version, ...data.movieIds.map((m, i) => `${m}:${present[i] ? 1 : 0}`)])}.f32`;
  const rows = data.numItems + 1;
  const hit = readCache(name, rows * dim);
  if (hit) return { dim, vectors: hit, covered: covered(hit, dim, rows), seconds: 0, cached: true };
  const t0 = performance.now();
  const backend = (await tf.setBackend('wasm').catch(() => false)) ? 'wasm' : 'cpu';
  if (backend === 'cpu') await tf.setBackend('cpu');
  // the CLI's own poster path (`tastebud blend`): a poster that cannot be decoded leaves a zero row
  const paths = data.movieIds.map((m, i) => (present[i] ? join(posterDir, `${m}.jpg`) : undefined));
  let lastLog = 0;
  const { matrix: v } = await encodeImageFiles(modelDir, paths, (done) => {
    if (done - lastLog < 512) return;
    lastLog = done;
    log(`  posters: ${done} encoded (${((performance.now() - t0) / 1000).toFixed(0)} s, ${backend})`);
  });
  const seconds = (performance.now() - t0) / 1000;
  writeCache(name, v);
  return { dim, vectors: v, covered: covered(v, dim, rows), seconds, cached: false };
}

/** Warm the caches: `node --import tsx bench/content-data.ts [--datasets DIR]`. */
if (import.meta.url === `file://${process.argv[1]}`) {
  const datasets = argValue('--datasets', '../shared/datasets');
  const data = loadMl1m(datasets);
  console.log(`ML-1M: ${data.seqs.length} users, ${data.numItems} items, ${data.plots} plots joined`);
  const t = await textVectors(data);
  console.log(`text: ${t.covered} items, ${t.seconds.toFixed(1)} s${t.cached ? ' (cached)' : ''}`);
  const im = await imageVectors(data, datasets, console.log);
  console.log(`image: ${im.covered} items, ${im.seconds.toFixed(1)} s${im.cached ? ' (cached)' : ''}`);
}
