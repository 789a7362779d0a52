/** Where the MovieLens files are, and a friendly explanation when they are not there. */
import { existsSync } from 'node:fs';
import { isAbsolute, join, resolve } from 'node:path';

export const DEFAULT_DATA_DIR = '../shared/datasets';

export interface DatasetFiles {
  dir: string;
  movies: string;
  /** `sequences.txt` (`user item` lines in time order) when present, else GroupLens' own `ratings.dat`. */
  interactions: string;
  posters: string | null;
  plots: string | null;
}

/** A problem the user can fix; printed as a message, never as a stack trace. */
export class DemoSetupError extends Error {}

export function locateDataset(dataDir: string | undefined, repoRoot: string): DatasetFiles {
  const given = dataDir ?? DEFAULT_DATA_DIR;
  const dir = isAbsolute(given) ? given : resolve(repoRoot, given);
  const movies = join(dir, 'ml-1m', 'movies.dat');
  const sequences = join(dir, 'ml-1m', 'sequences.txt');
  const ratings = join(dir, 'ml-1m', 'ratings.dat');
  const interactions = existsSync(sequences) ? sequences : ratings;
  const missing = [movies, interactions].filter((f) => !existsSync(f));
  if (missing.length > 0) throw new DemoSetupError(missingDatasetMessage(dir, missing));
  const posters = join(dir, 'ml-1m', 'posters');
  const plots = join(dir, 'ml-100k-plots', 'movielens100k_details.json');
  return { dir, movies, interactions, posters: existsSync(posters) ? posters : null, plots: existsSync(plots) ? plots : null };
}

function missingDatasetMessage(dir: string, missing: string[]): string {
  return [
    `The tastebud demo needs MovieLens, which is not in ${dir}.`,
    `Missing: ${missing.join(', ')}`,
    '',
    'MovieLens may not be redistributed, so tastebud does not ship it. To run the demo:',
    '  1. Download MovieLens 1M (and optionally 100K) from https://grouplens.org/datasets/movielens/',
    '  2. Unpack it so that <dir>/ml-1m/movies.dat and <dir>/ml-1m/ratings.dat exist.',
    '     Optional extras, used when present: <dir>/ml-1m/posters/<MovieID>.jpg (poster images)',
    '     and <dir>/ml-100k-plots/movielens100k_details.json (plot summaries; see docs/development.md, "Demo").',
    '  3. Point the demo at it:  TASTEBUD_DATA_DIR=<dir> npm run demo   (or: npm run demo -- --data-dir <dir>)',
  ].join('\n');
}
