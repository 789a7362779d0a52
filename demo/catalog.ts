/** The MovieLens catalog built by demo/build-catalog.ts, and how it becomes tastebud items. */
import type { Item } from '../lib/index';
import type { CatalogMovie } from './build/movies';

/** One entry of catalog.json, as the builder writes it (a type-only import: nothing of Node reaches the page). */
export type Movie = CatalogMovie;

export interface Catalog {
  version: string;
  movies: Movie[];
  byId: Map<string, Movie>;
}

export class CatalogMissingError extends Error {}

export async function loadCatalog(limit: number | null): Promise<Catalog> {
  let response: Response;
  try {
    response = await fetch('catalog/catalog.json');
  } catch (err) {
    throw new CatalogMissingError(`Could not fetch catalog/catalog.json: ${String(err)}`);
  }
  if (!response.ok) throw new CatalogMissingError(`catalog/catalog.json answered HTTP ${response.status}.`);
  const data = (await response.json()) as { version: string; movies: Movie[] };
  const movies = limit === null ? data.movies : data.movies.slice(0, limit);
  return { version: data.version, movies, byId: new Map(movies.map((m) => [m.id, m])) };
}

export function posterUrl(movie: Movie): string | null {
  return movie.poster === null ? null : new URL(`catalog/${movie.poster}`, location.href).href;
}

export function label(movie: Movie): string {
  return movie.year === null ? movie.title : `${movie.title} (${movie.year})`;
}

/** The item text the page gives the engine; `tastebud embed` must read exactly this to ship its vector. */
export function movieText(movie: Pick<Movie, 'title' | 'genres' | 'plot'>): string {
  return `${movie.title}. ${movie.genres.join(', ')}. ${movie.plot}`.trim();
}

/** The poster reference the page gives the engine: relative, so its hash (and the shipped vector) does not depend on the host. */
export function posterRef(movie: Pick<Movie, 'poster'>): string | null {
  return movie.poster === null ? null : `catalog/${movie.poster}`;
}

export function toItem(movie: Movie, withImage: boolean): Item {
  const item: Item = {
    id: movie.id,
    text: movieText(movie),
    tags: movie.genres,
    meta: { title: movie.title, year: movie.year },
  };
  const poster = posterRef(movie);
  if (withImage && poster !== null) item.image = poster;
  return item;
}
