/** A user's fine-tuned sequence-model weights (adapt()), one record per user and model. */
import { DURABLE, commit, queued, type AdaptationRecord, type Database } from './db';
import { FORGET_EPOCH_KEY } from './portability';

export async function readAdaptation(database: Database, userId: string, model: string): Promise<AdaptationRecord | undefined> {
  return database.run((db) => db.get('adaptations', [userId, model]));
}

/**
 * Stores the weights unless a forget() committed since `epoch` was read (in
 * this tab or another): then it writes nothing and returns false, so weights
 * fitted on a history the user erased never come back.
 */
export async function writeAdaptation(database: Database, record: AdaptationRecord, epoch: number): Promise<boolean> {
  return database.run(async (db) => {
    const tx = db.transaction(['adaptations', 'meta'], 'readwrite', DURABLE);
    return commit(tx, 'storing the adapted model', async () => {
      const current = await tx.objectStore('meta').get(FORGET_EPOCH_KEY);
      if ((typeof current?.value === 'number' ? current.value : 0) !== epoch) return false;
      queued(tx.objectStore('adaptations').put(record));
      return true;
    });
  });
}

export async function deleteAdaptation(database: Database, userId: string, model: string): Promise<void> {
  return database.run(async (db) => {
    const tx = db.transaction('adaptations', 'readwrite');
    await commit(tx, 'resetting the adapted model', async () => {
      queued(tx.store.delete([userId, model]));
    });
  });
}
