/** Cached model files, keyed by the manifest URL they were loaded from. */
import { commit, queued, type Database, type ModelRecord } from './db';

export async function readCachedModel(database: Database, url: string): Promise<ModelRecord | undefined> {
  return database.run((db) => db.get('models', url));
}

/** Replaces the cached copy in one transaction: the old one stays until the new one is complete. */
export async function writeCachedModel(database: Database, record: ModelRecord): Promise<void> {
  return database.run(async (db) => {
    const tx = db.transaction('models', 'readwrite');
    await commit(tx, `caching model ${record.url}`, async () => {
      queued(tx.store.put(record));
    });
  });
}
