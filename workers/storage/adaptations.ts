/** A user's fine-tuned sequence-model weights (adapt()), one record per user and model. */
import { commit, queued, type AdaptationRecord, type Database } from './db';

export async function readAdaptation(database: Database, userId: string, model: string): Promise<AdaptationRecord | undefined> {
  return (await database.get()).get('adaptations', [userId, model]);
}

export async function writeAdaptation(database: Database, record: AdaptationRecord): Promise<void> {
  const db = await database.get();
  const tx = db.transaction('adaptations', 'readwrite');
  await commit(tx, 'storing the adapted model', async () => {
    queued(tx.store.put(record));
  });
}

export async function deleteAdaptation(database: Database, userId: string, model: string): Promise<void> {
  const db = await database.get();
  const tx = db.transaction('adaptations', 'readwrite');
  await commit(tx, 'resetting the adapted model', async () => {
    queued(tx.store.delete([userId, model]));
  });
}
