/** Cached item vectors: keyed by item id + model key + hash of the content that model reads. */
import { commit, queued, type Database, type VectorRecord } from './db';

/**
 * One getAll(), filtered here: a cursor costs a round trip per record, which for a catalog's
 * thousands of vectors was most of a warm start.
 */
export async function readVectors(database: Database, model: string): Promise<VectorRecord[]> {
  return database.run(async (db) => (await db.getAll('vectors')).filter((record) => record.model === model));
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
