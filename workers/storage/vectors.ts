/** Cached item vectors: keyed by item id + model key + hash of the content that model reads. */
import { commit, queued, type Database, type VectorRecord } from './db';

export async function readVectors(database: Database, model: string): Promise<VectorRecord[]> {
  return database.run(async (db) => {
    const out: VectorRecord[] = [];
    let cursor = await db.transaction('vectors').store.openCursor();
    while (cursor) {
      if (cursor.value.model === model) out.push(cursor.value);
      cursor = await cursor.continue();
    }
    return out;
  });
}

/** Writes a batch in one transaction and drops older vectors of the same items for this model. */
export async function writeVectors(database: Database, records: VectorRecord[]): Promise<void> {
  if (records.length === 0) return;
  return database.run(async (db) => {
    const tx = db.transaction('vectors', 'readwrite');
    await commit(tx, `caching ${records.length} item vector(s)`, async () => {
      const byItem = tx.store.index('by-item');
      for (const record of records) {
        let cursor = await byItem.openCursor(record.itemId);
        while (cursor) {
          if (cursor.value.model === record.model && cursor.value.contentHash !== record.contentHash) queued(cursor.delete());
          cursor = await cursor.continue();
        }
        queued(tx.store.put(record));
      }
    });
  });
}
