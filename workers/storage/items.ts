/** The site's catalog: items are shared by every profile on the origin. */
import { commit, queued, type Database, type ItemRecord } from './db';
import type { Item } from '../../common/types';

/** FNV-1a over the fields a content model reads; cheap and stable across page loads. */
export function contentHash(item: Item): string {
  const image = typeof item.image === 'string' ? item.image : item.image ? `blob:${item.image.size}:${item.image.type}` : '';
  const source = `${item.text ?? ''}\u0000${image}`;
  let h = 0x811c9dc5;
  for (let i = 0; i < source.length; i++) {
    h ^= source.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return `${h.toString(16).padStart(8, '0')}-${source.length}`;
}

export function toRecord(item: Item, now: number): ItemRecord {
  const record: ItemRecord = { id: item.id, tags: item.tags ?? [], contentHash: contentHash(item), updatedAt: now };
  if (item.text !== undefined) record.text = item.text;
  if (item.image !== undefined) record.image = item.image;
  if (item.meta !== undefined) record.meta = item.meta;
  return record;
}

export async function putItems(database: Database, items: Item[], now = Date.now()): Promise<ItemRecord[]> {
  return database.run(async (db) => {
    const records = items.map((item) => toRecord(item, now));
    const tx = db.transaction('items', 'readwrite');
    await commit(tx, `storing ${items.length} item(s)`, async () => {
      for (const record of records) queued(tx.store.put(record));
    });
    return records;
  });
}

/** Removes items and their cached vectors; returns how many existed. */
export async function deleteItems(database: Database, ids: string[]): Promise<number> {
  return database.run(async (db) => {
    const tx = db.transaction(['items', 'vectors', 'vector-snapshots'], 'readwrite');
    let removed = 0;
    await commit(tx, `removing ${ids.length} item(s)`, async () => {
      const items = tx.objectStore('items');
      const vectors = tx.objectStore('vectors').index('by-item');
      for (const id of ids) {
        if ((await items.getKey(id)) !== undefined) removed += 1;
        queued(items.delete(id));
        let cursor = await vectors.openCursor(id);
        while (cursor) {
          queued(cursor.delete());
          cursor = await cursor.continue();
        }
      }
      // The snapshots may hold rows of the removed items: the next read rebuilds them.
      queued(tx.objectStore('vector-snapshots').clear());
    });
    return removed;
  });
}

export async function readAllItems(database: Database): Promise<ItemRecord[]> {
  return database.run((db) => db.getAll('items'));
}

export async function countItems(database: Database): Promise<number> {
  return database.run((db) => db.count('items'));
}

export async function countVectors(database: Database): Promise<number> {
  return database.run((db) => db.count('vectors'));
}
