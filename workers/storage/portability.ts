/** Export, import and forget: everything a user can take away or erase. */
import { DURABLE, commit, queued, type Database, type EventRecord } from './db';
import { toStored } from './events';
import type { ExportData, ImportResult, StoredEvent } from '../../common/types';

function userRange(userId: string): IDBKeyRange {
  return IDBKeyRange.bound([userId, -Infinity], [userId, Infinity]);
}

function eventKey(e: StoredEvent): string {
  return e.id !== undefined ? `id\u0000${e.id}` : `${e.at}\u0000${e.itemId}\u0000${e.type}\u0000${e.value ?? ''}\u0000${e.text ?? ''}`;
}

/** Key of the meta record counting forget() calls: writes that started before one are dropped. */
export const FORGET_EPOCH_KEY = 'forget-epoch';

/** How many times any user was forgotten in this database (read in a write's own transaction to detect a forget() in between). */
export async function readForgetEpoch(database: Database): Promise<number> {
  return database.run(async (db) => {
    const record = await db.get('meta', FORGET_EPOCH_KEY);
    return typeof record?.value === 'number' ? record.value : 0;
  });
}

export async function exportUser(database: Database, userId: string, now = Date.now()): Promise<ExportData> {
  const records = await database.run((db) => db.getAllFromIndex('events', 'by-user-time', userRange(userId)));
  return { format: 'tastebud-export', version: 1, userId, exportedAt: now, events: records.map(toStored) };
}

/**
 * Writes an already validated export into this user's history in one durable
 * transaction. `replace` first removes the user's events; `merge` skips events
 * identical to ones already stored (same id, or same time, item, type and value
 * for events without an id), so repeating an import is a no-op. A failure
 * leaves the history as it was.
 */
export async function importUser(
  database: Database,
  userId: string,
  data: ExportData,
  mode: 'merge' | 'replace',
  now = Date.now(),
): Promise<ImportResult> {
  let imported = 0;
  let skippedDuplicates = 0;
  await database.run(async (db) => {
    imported = 0;
    skippedDuplicates = 0;
    const tx = db.transaction(['events', 'profiles'], 'readwrite', DURABLE);
    await commit(tx, `importing ${data.events.length} event(s)`, async () => {
      const events = tx.objectStore('events');
      const index = events.index('by-user-time');
      const byId = events.index('by-id');
      const existing = new Set<string>();
      let cursor = await index.openCursor(userRange(userId));
      while (cursor) {
        if (mode === 'replace') queued(cursor.delete());
        else existing.add(eventKey(toStored(cursor.value)));
        cursor = await cursor.continue();
      }
      for (const e of data.events) {
        const key = eventKey(e);
        // An id may also be stored under another user: ids are unique in the whole database.
        if (existing.has(key) || (e.id !== undefined && (await byId.getKey(e.id)) !== undefined)) {
          skippedDuplicates += 1;
          continue;
        }
        existing.add(key);
        const record: EventRecord = { userId, itemId: e.itemId, type: e.type, at: e.at };
        if (e.value !== undefined) record.value = e.value;
        if (e.text !== undefined) record.text = e.text;
        if (e.id !== undefined) record.id = e.id;
        queued(events.add(record));
        imported += 1;
      }
      const profiles = tx.objectStore('profiles');
      const profile = await profiles.get(userId);
      queued(profiles.put({ userId, createdAt: profile?.createdAt ?? now, updatedAt: now }));
    });
  });
  return { imported, skippedDuplicates };
}

/**
 * Deletes every record of this user (events, profile, fine-tuned weights) in one
 * durable transaction, and advances the forget epoch in the same transaction so
 * that an adapt() started before it, in any tab, finds out and does not write.
 */
export async function forgetUser(database: Database, userId: string): Promise<void> {
  await database.run(async (db) => {
    const tx = db.transaction(['events', 'profiles', 'adaptations', 'meta'], 'readwrite', DURABLE);
    await commit(tx, 'forgetting the user', async () => {
      let cursor = await tx.objectStore('events').index('by-user-time').openCursor(userRange(userId));
      while (cursor) {
        queued(cursor.delete());
        cursor = await cursor.continue();
      }
      queued(tx.objectStore('profiles').delete(userId));
      queued(tx.objectStore('adaptations').delete(IDBKeyRange.bound([userId, ''], [userId, []])));
      const meta = tx.objectStore('meta');
      const epoch = await meta.get(FORGET_EPOCH_KEY);
      queued(meta.put({ key: FORGET_EPOCH_KEY, value: (typeof epoch?.value === 'number' ? epoch.value : 0) + 1 }));
    });
  });
}
