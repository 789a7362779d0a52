/**
 * Popularity counts and co-occurrence neighbours: plain JSON tables a site can
 * ship (the CLI writes them). Loaded from a URL or given inline; checked before use.
 */
import { TastebudError } from '../../common/errors';
import { LIMITS } from '../../common/validate';
import { readLimited } from './loader';
import type { CooccurrenceTable } from '../../common/types';

const MAX_NEIGHBORS = 1_000;

function bad(what: string, field: string): never {
  throw new TastebudError('model-load', `Invalid ${what}`, { field });
}

async function fetchJson(url: string, what: string): Promise<unknown> {
  let response: Response;
  try {
    response = await fetch(url);
  } catch (err) {
    throw new TastebudError('model-load', `Could not fetch the ${what} from ${url}: ${err instanceof Error ? err.message : String(err)}`, {
      cause: err,
    });
  }
  if (!response.ok) throw new TastebudError('model-load', `Fetching the ${what} from ${url} failed with HTTP ${response.status}.`);
  const bytes = await readLimited(response, LIMITS.tableBytes, `The ${what} at ${url}`);
  try {
    return JSON.parse(new TextDecoder().decode(bytes)) as unknown;
  } catch (err) {
    throw new TastebudError('model-load', `The ${what} at ${url} is not valid JSON.`, { cause: err });
  }
}

export function parsePopularity(json: unknown): Map<string, number> {
  const root = typeof json === 'object' && json !== null && 'counts' in json ? (json as { counts: unknown }).counts : json;
  if (typeof root !== 'object' || root === null || Array.isArray(root))
    bad('popularity table: expected { "counts": { itemId: number } }', 'popularity');
  const out = new Map<string, number>();
  for (const [id, n] of Object.entries(root)) {
    if (typeof n !== 'number' || !Number.isFinite(n) || n < 0)
      bad(`popularity count for ${JSON.stringify(id.slice(0, 60))}: must be a finite number >= 0`, 'popularity');
    out.set(id, n);
  }
  return out;
}

export function parseCooccurrence(json: unknown): CooccurrenceTable {
  const neighbors = typeof json === 'object' && json !== null ? (json as { neighbors?: unknown }).neighbors : undefined;
  if (typeof neighbors !== 'object' || neighbors === null || Array.isArray(neighbors))
    bad('co-occurrence table: expected { "neighbors": { itemId: [[otherId, weight], …] } }', 'cooccurrence');
  const out: CooccurrenceTable = { neighbors: Object.create(null) as CooccurrenceTable['neighbors'] };
  for (const [id, list] of Object.entries(neighbors as Record<string, unknown>)) {
    if (!Array.isArray(list)) bad(`co-occurrence entry for ${JSON.stringify(id.slice(0, 60))}: expected an array`, 'cooccurrence');
    out.neighbors[id] = list.slice(0, MAX_NEIGHBORS).map((pair: unknown) => {
      if (!Array.isArray(pair) || typeof pair[0] !== 'string' || typeof pair[1] !== 'number' || !Number.isFinite(pair[1])) {
        bad(`co-occurrence pair under ${JSON.stringify(id.slice(0, 60))}: expected [itemId, finite weight]`, 'cooccurrence');
      }
      return [pair[0], pair[1]] as [string, number];
    });
  }
  return out;
}

export async function loadPopularity(source: string | Record<string, number>): Promise<Map<string, number>> {
  return parsePopularity(typeof source === 'string' ? await fetchJson(source, 'popularity table') : source);
}

export async function loadCooccurrence(source: string | CooccurrenceTable): Promise<CooccurrenceTable> {
  return parseCooccurrence(typeof source === 'string' ? await fetchJson(source, 'co-occurrence table') : source);
}
