/** The in-memory view of the catalog that ranking works on. */
import type { JsonValue } from '../../common/types';

export interface CatalogItem {
  id: string;
  tags: readonly string[];
  /** Short human name for reasons: meta.title, else the first line of text, else the id. */
  label: string;
}

export interface Catalog {
  items: CatalogItem[];
  index: Map<string, number>;
}

export function itemLabel(id: string, text?: string, meta?: Record<string, JsonValue>): string {
  const title = meta?.title ?? meta?.name;
  if (typeof title === 'string' && title.trim().length > 0) return clip(title.trim());
  const firstLine = text?.split('\n', 1)[0]?.trim();
  if (firstLine) return clip(firstLine);
  return clip(id);
}

function clip(s: string): string {
  return s.length > 60 ? `${s.slice(0, 57)}…` : s;
}

export function buildCatalog(
  items: Array<{ id: string; tags?: readonly string[]; text?: string; meta?: Record<string, JsonValue> }>,
): Catalog {
  const sorted = [...items].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  const catalog: Catalog = { items: [], index: new Map() };
  for (const item of sorted) {
    catalog.index.set(item.id, catalog.items.length);
    catalog.items.push({ id: item.id, tags: item.tags ?? [], label: itemLabel(item.id, item.text, item.meta) });
  }
  return catalog;
}
