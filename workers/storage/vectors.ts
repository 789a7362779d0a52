/** Cached item vectors: keyed by item id + model key + hash of the content that model reads. */
import { commit, queued, type Database, type VectorRecord, type VectorSnapshotRecord } from './db';

/**
 * Every cached vector of `model`. A start reads the model's snapshot (one record, one
 * matrix); without one, the vectors store is read with one getAll() and the snapshot is
 * written for the next start (best effort: a full disk only costs the next start time).
 */
export async function readVectors(database: Database, model: string): Promise<VectorRecord[]> {
  return database.run(async (db) => {
    const snapshot = await db.get('vector-snapshots', model);
    if (snapshot) return fromSnapshot(snapshot);
    const records = (await db.getAll('vectors')).filter((record) => record.model === model);
    const built = toSnapshot(model, records);
    if (built) await db.put('vector-snapshots', built).catch(() => undefined);
    return records;
  });
}

function toSnapshot(model: string, records: readonly VectorRecord[]): VectorSnapshotRecord | null {
  const dim = records[0]?.vector.length ?? 0;
  if (dim === 0 || records.some((r) => r.vector.length !== dim)) return null;
  const matrix = new Float32Array(records.length * dim);
  records.forEach((r, i) => matrix.set(r.vector, i * dim));
  return { model, dim, itemIds: records.map((r) => r.itemId), contentHashes: records.map((r) => r.contentHash), matrix };
}

function fromSnapshot(snapshot: VectorSnapshotRecord): VectorRecord[] {
  const { model, dim, matrix } = snapshot;
  return snapshot.itemIds.map((itemId, i) => ({
    itemId,
    model,
    contentHash: snapshot.contentHashes[i]!,
    vector: matrix.subarray(i * dim, (i + 1) * dim),
  }));
}

/** Writes a batch in one transaction and drops older vectors of the same items for this model. */
export async function writeVectors(database: Database, records: VectorRecord[]): Promise<void> {
  if (records.length === 0) return;
  return database.run(async (db) => {
    const tx = db.transaction(['vectors', 'vector-snapshots'], 'readwrite');
    await commit(tx, `caching ${records.length} item vector(s)`, async () => {
      const store = tx.objectStore('vectors');
      const byItem = store.index('by-item');
      for (const record of records) {
        let cursor = await byItem.openCursor(record.itemId);
        while (cursor) {
          if (cursor.value.model === record.model && cursor.value.contentHash !== record.contentHash) queued(cursor.delete());
          cursor = await cursor.continue();
        }
        queued(store.put(record));
      }
      // In the same transaction: a snapshot never outlives the rows it was built from.
      for (const model of new Set(records.map((r) => r.model))) queued(tx.objectStore('vector-snapshots').delete(model));
    });
  });
}
