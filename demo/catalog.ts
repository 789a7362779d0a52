/** The MovieLens catalog built by demo/build-catalog.ts, and how it becomes tastebud items. */
import type { Item } from '../lib/index';

export interface Movie {
  id: string;
  title: string;
  year: number | null;
  genres: string[];
  plot: string;
  poster: string | null;
}

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

export function toItem(movie: Movie, withImage: boolean): Item {
  const item: Item = {
    id: movie.id,
    text: `${movie.title}. ${movie.genres.join(', ')}. ${movie.plot}`.trim(),
    tags: movie.genres,
    meta: { title: movie.title, year: movie.year },
  };
  const poster = posterUrl(movie);
  if (withImage && poster !== null) item.image = poster;
  return item;
}
