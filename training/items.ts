/**
 * Item metadata for the CLI: a JSONL file, one object per line,
 * `{ "id": "1", "title"?: "…", "tags"?: ["…"], "text"?: "…", "image"?: "posters/1.jpg", "imageFile"?: "…" }`
 * (`image`: a JPEG file, relative to the items file or absolute; or, with
 * `imageFile` naming the file, the URL the page uses for it). Blank lines
 * and lines starting with `#` are skipped; every bad line is reported with
 * its line number as a TastebudError('invalid-argument').
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { dirname, isAbsolute, resolve } from 'node:path';
import { TastebudError } from '../common/errors';

export interface ItemMeta {
  id: string;
  title?: string;
  tags: string[];
  text?: string;
  /** Absolute path of the item's JPEG image. */
  image?: string;
  /** `image` as written: the reference a page passes to upsertItems() (URL or path), which `tastebud embed` hashes. */
  imageRef?: string;
}

function bad(file: string, line: number, message: string): never {
  throw new TastebudError('invalid-argument', `${file}:${line}: ${message}`, { field: `line ${line}` });
}

function optionalString(file: string, line: number, o: Record<string, unknown>, key: string): string | undefined {
  const v = o[key];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'string') bad(file, line, `"${key}" must be a string`);
  return v;
}

export function parseItemLine(file: string, line: number, raw: string): ItemMeta {
  let json: unknown;
  try {
    json = JSON.parse(raw);
  } catch {
    bad(file, line, `not valid JSON (expected one item object per line): "${raw.slice(0, 80)}"`);
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json))
    bad(file, line, 'expected a JSON object { "id", "title"?, "tags"?, "text"?, "image"? }');
  const o = json as Record<string, unknown>;
  const id = typeof o.id === 'number' && Number.isFinite(o.id) ? String(o.id) : o.id;
  if (typeof id !== 'string' || id.trim() === '') bad(file, line, '"id" must be a non-empty string or a number');
  const tags = o.tags ?? [];
  if (!Array.isArray(tags) || !tags.every((t): t is string => typeof t === 'string')) bad(file, line, '"tags" must be an array of strings');
  const item: ItemMeta = { id: id.trim(), tags: tags.map((t) => t.trim()).filter((t) => t !== '') };
  const title = optionalString(file, line, o, 'title');
  const text = optionalString(file, line, o, 'text');
  const image = optionalString(file, line, o, 'image');
  const imageFile = optionalString(file, line, o, 'imageFile');
  if (title !== undefined) item.title = title;
  if (text !== undefined) item.text = text;
  if (image !== undefined && image.trim() !== '') {
    const path = imageFile !== undefined && imageFile.trim() !== '' ? imageFile : image;
    item.image = isAbsolute(path) ? path : resolve(dirname(file), path);
    item.imageRef = image;
  }
  return item;
}

export function readItems(file: string): Map<string, ItemMeta> {
  if (!existsSync(file) || !statSync(file).isFile())
    throw new TastebudError('invalid-argument', `Items file not found: ${file}`, { field: 'items' });
  const items = new Map<string, ItemMeta>();
  const lines = readFileSync(file, 'utf8')
    .replace(/^\uFEFF/, '')
    .split('\n');
  lines.forEach((raw, i) => {
    const text = raw.trim();
    if (text === '' || text.startsWith('#')) return;
    const item = parseItemLine(file, i + 1, text);
    if (items.has(item.id)) bad(file, i + 1, `duplicate item id "${item.id.slice(0, 60)}"`);
    items.set(item.id, item);
  });
  if (items.size === 0)
    throw new TastebudError('invalid-argument', `${file}: no items found (expected JSONL, one { "id", … } object per line)`, {
      field: 'items',
    });
  return items;
}

/** What the text encoder reads for an item: title and text, as the demo page builds its item text. */
export function itemText(item: ItemMeta): string {
  return [item.title?.trim(), item.text?.trim()].filter((s): s is string => s !== undefined && s !== '').join('. ');
}
