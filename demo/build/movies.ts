/** Reads the MovieLens 1M movie list and joins ML-100K plot summaries onto it by title. */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

export interface CatalogMovie {
  id: string;
  title: string;
  year: number | null;
  genres: string[];
  plot: string;
  /** Path of the poster relative to the catalog folder, or null without one. */
  poster: string | null;
}

/** `MovieID::Title (Year)::Genre|Genre`, latin-1. */
export function readMovies(moviesDat: string): Array<Omit<CatalogMovie, 'plot' | 'poster'>> {
  const text = new TextDecoder('latin1').decode(readFileSync(moviesDat));
  const out: Array<Omit<CatalogMovie, 'plot' | 'poster'>> = [];
  for (const line of text.split('\n')) {
    if (line.trim() === '') continue;
    const [id, rawTitle, genres] = line.replace(/\r$/, '').split('::');
    if (id === undefined || rawTitle === undefined || genres === undefined) continue;
    const match = /^(.*) \((\d{4})\)$/.exec(rawTitle.trim());
    out.push({
      id,
      title: displayTitle(match?.[1] ?? rawTitle.trim()),
      year: match?.[2] !== undefined ? Number(match[2]) : null,
      genres: genres.split('|').filter((g) => g !== ''),
    });
  }
  return out;
}

/** MovieLens writes "Matrix, The"; people read "The Matrix". */
export function displayTitle(title: string): string {
  const m = /^(.*), (The|A|An|Les|La|Le|L'|Il|Das|Der|Die|El)( \(.*\))?$/.exec(title);
  if (!m) return title;
  const article = m[2] as string;
  return `${article}${article.endsWith("'") ? '' : ' '}${m[1]}${m[3] ?? ''}`;
}

/** Normalised `title (year)` used to match ML-100K entries to ML-1M movies. */
export function titleKey(title: string, year: number | null): string {
  return `${title
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, ' ')
    .trim()}|${year ?? ''}`;
}

interface PlotEntry {
  movie_title?: unknown;
  description?: unknown;
}

/** Plot summaries from ml-100k-plots keyed by titleKey; an absent file gives no plots. */
export function readPlots(plotsJson: string): Map<string, string> {
  const plots = new Map<string, string>();
  if (!existsSync(plotsJson)) return plots;
  const entries = JSON.parse(readFileSync(plotsJson, 'utf8')) as unknown;
  if (!Array.isArray(entries)) return plots;
  for (const entry of entries as PlotEntry[]) {
    if (typeof entry.movie_title !== 'string' || typeof entry.description !== 'string') continue;
    const m = /^(.*) \((\d{4})\)$/.exec(entry.movie_title.trim());
    const title = displayTitle(m?.[1] ?? entry.movie_title.trim());
    const plot = entry.description.trim();
    if (plot !== '') plots.set(titleKey(title, m?.[2] !== undefined ? Number(m[2]) : null), plot);
  }
  return plots;
}

export function posterFile(postersDir: string, id: string): string | null {
  const file = join(postersDir, `${id}.jpg`);
  return existsSync(file) ? file : null;
}

/**
 * One line of a `tastebud blend --items` file for a movie: genres as tags and
 * "genres. plot" as text, so the encoded "title. text" is the demo page's item
 * text; `image` (an absolute poster path) only when asked for.
 */
export function blendItemLine(movie: Pick<CatalogMovie, 'id' | 'title' | 'genres' | 'plot'>, image?: string | null): string {
  return JSON.stringify({
    id: movie.id,
    title: movie.title,
    tags: movie.genres,
    text: `${movie.genres.join(', ')}. ${movie.plot}`.trim(),
    ...(image ? { image } : {}),
  });
}
