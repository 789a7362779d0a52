/**
 * Typed-array columns of a catalog, built once per catalog (and once per
 * popularity table or model vocabulary) so the per-call ranking pass reads
 * numbers by index instead of looking item ids and tag strings up in maps.
 */
import type { Catalog } from './catalog';

export interface CatalogColumns {
  /** Every distinct tag, by tag id. */
  tags: string[];
  tagIds: Map<string, number>;
  /** Item i's tag ids, sorted, duplicates kept as listed: itemTags[tagStart[i] .. tagStart[i + 1]). */
  tagStart: Int32Array;
  itemTags: Int32Array;
  /** Distinct tags per item. */
  distinctTags: Int32Array;
  /** Tags as listed, duplicates included. */
  listedTags: Int32Array;
}

const columnsByCatalog = new WeakMap<Catalog, CatalogColumns>();
const popularityByCatalog = new WeakMap<Catalog, WeakMap<Map<string, number>, PopularityColumn>>();
const modelIndexByCatalog = new WeakMap<Catalog, WeakMap<Map<string, number>, Int32Array>>();

export function catalogColumns(catalog: Catalog): CatalogColumns {
  let columns = columnsByCatalog.get(catalog);
  if (!columns) {
    columns = buildColumns(catalog);
    columnsByCatalog.set(catalog, columns);
  }
  return columns;
}

function buildColumns(catalog: Catalog): CatalogColumns {
  const n = catalog.items.length;
  const tags: string[] = [];
  const tagIds = new Map<string, number>();
  const tagStart = new Int32Array(n + 1);
  const listedTags = new Int32Array(n);
  const distinctTags = new Int32Array(n);
  const flat: number[] = [];
  for (let i = 0; i < n; i++) {
    const own = catalog.items[i]!.tags;
    const ids: number[] = [];
    for (const tag of own) {
      let id = tagIds.get(tag);
      if (id === undefined) {
        id = tags.length;
        tags.push(tag);
        tagIds.set(tag, id);
      }
      ids.push(id);
    }
    ids.sort((a, b) => a - b);
    for (let p = 0; p < ids.length; p++) {
      flat.push(ids[p]!);
      if (p === 0 || ids[p] !== ids[p - 1]) distinctTags[i] = distinctTags[i]! + 1;
    }
    tagStart[i + 1] = flat.length;
    listedTags[i] = own.length;
  }
  return { tags, tagIds, tagStart, itemTags: Int32Array.from(flat), distinctTags, listedTags };
}

function cachedPer<T>(
  store: WeakMap<Catalog, WeakMap<Map<string, number>, T>>,
  catalog: Catalog,
  key: Map<string, number>,
  build: () => T,
): T {
  let inner = store.get(catalog);
  if (!inner) {
    inner = new WeakMap();
    store.set(catalog, inner);
  }
  let value = inner.get(key);
  if (value === undefined) {
    value = build();
    inner.set(key, value);
  }
  return value;
}

export interface PopularityColumn {
  /** The site-wide count of each catalog item (0 when the table does not list it). */
  counts: Float64Array;
  /** log1p(count), as the popularity signal stores it before scaling. */
  logCounts: Float32Array;
  maxLogCount: number;
}

export function popularityColumn(catalog: Catalog, table: Map<string, number>): PopularityColumn {
  return cachedPer(popularityByCatalog, catalog, table, () => {
    const counts = Float64Array.from(catalog.items, (item) => table.get(item.id) ?? 0);
    const logCounts = Float32Array.from(counts, (c) => Math.log1p(c));
    let maxLogCount = 0;
    for (const v of logCounts) maxLogCount = Math.max(maxLogCount, Math.abs(v));
    return { counts, logCounts, maxLogCount };
  });
}

/** Each catalog item's index in a model vocabulary, 0 (padding) for items the model does not know. */
export function modelIndexColumn(catalog: Catalog, vocabulary: Map<string, number>): Int32Array {
  return cachedPer(modelIndexByCatalog, catalog, vocabulary, () => Int32Array.from(catalog.items, (item) => vocabulary.get(item.id) ?? 0));
}

/** Jaccard similarity of two items' tag sets; 0 when either has none. */
export function tagJaccardAt(columns: CatalogColumns, a: number, b: number): number {
  const { tagStart, itemTags, distinctTags } = columns;
  const sizeA = distinctTags[a]!;
  const sizeB = distinctTags[b]!;
  if (sizeA === 0 || sizeB === 0) return 0;
  let i = tagStart[a]!;
  let j = tagStart[b]!;
  const endA = tagStart[a + 1]!;
  const endB = tagStart[b + 1]!;
  let inter = 0;
  while (i < endA && j < endB) {
    const ta = itemTags[i]!;
    const tb = itemTags[j]!;
    if (ta < tb) i += 1;
    else if (tb < ta) j += 1;
    else {
      inter += 1;
      while (i < endA && itemTags[i] === ta) i += 1;
      while (j < endB && itemTags[j] === tb) j += 1;
    }
  }
  return inter / (sizeA + sizeB - inter);
}

/** Tag Jaccard between catalog indices, the default item similarity for MMR. */
export function tagSimilarity(catalog: Catalog): (a: number, b: number) => number {
  const columns = catalogColumns(catalog);
  return (a, b) => tagJaccardAt(columns, a, b);
}

/** 1 for every item carrying at least one of `tags`. */
export function itemsWithAnyTag(columns: CatalogColumns, tags: readonly string[], out: Uint8Array): Uint8Array {
  const wanted = new Uint8Array(columns.tags.length);
  for (const tag of tags) {
    const id = columns.tagIds.get(tag);
    if (id !== undefined) wanted[id] = 1;
  }
  const { tagStart, itemTags } = columns;
  for (let i = 0; i < out.length; i++) {
    for (let p = tagStart[i]!; p < tagStart[i + 1]!; p++) {
      if (wanted[itemTags[p]!] === 1) {
        out[i] = 1;
        break;
      }
    }
  }
  return out;
}
