/** Export, import and forget: everything a user can take away or erase. */
import { commit, queued, type Database, type EventRecord } from './db';
import { toStored } from './events';
import type { ExportData, ImportResult, StoredEvent } from '../../common/types';

function userRange(userId: string): IDBKeyRange {
  return IDBKeyRange.bound([userId, -Infinity], [userId, Infinity]);
}

function eventKey(e: StoredEvent): string {
  return `${e.at}\u0000${e.itemId}\u0000${e.type}\u0000${e.value ?? ''}`;
}

export async function exportUser(database: Database, userId: string, now = Date.now()): Promise<ExportData> {
  const db = await database.get();
  const records = await db.getAllFromIndex('events', 'by-user-time', userRange(userId));
  return { format: 'tastebud-export', version: 1, userId, exportedAt: now, events: records.map(toStored) };
}

/**
 * Writes an already validated export into this user's history in one
 * transaction. `replace` first removes the user's events; `merge` skips events
 * identical to ones already stored. A failure leaves the history as it was.
 */
export async function importUser(
  database: Database,
  userId: string,
  data: ExportData,
  mode: 'merge' | 'replace',
  now = Date.now(),
): Promise<ImportResult> {
  const db = await database.get();
  const tx = db.transaction(['events', 'profiles'], 'readwrite');
  let imported = 0;
  let skippedDuplicates = 0;
  await commit(tx, `importing ${data.events.length} event(s)`, async () => {
    const events = tx.objectStore('events');
    const index = events.index('by-user-time');
    const existing = new Set<string>();
    let cursor = await index.openCursor(userRange(userId));
    while (cursor) {
      if (mode === 'replace') queued(cursor.delete());
      else existing.add(eventKey(toStored(cursor.value)));
      cursor = await cursor.continue();
    }
    for (const e of data.events) {
      const key = eventKey(e);
      if (existing.has(key)) {
        skippedDuplicates += 1;
        continue;
      }
      existing.add(key);
      const record: EventRecord = { userId, itemId: e.itemId, type: e.type, at: e.at };
      if (e.value !== undefined) record.value = e.value;
      queued(events.add(record));
      imported += 1;
    }
    const profiles = tx.objectStore('profiles');
    const profile = await profiles.get(userId);
    queued(profiles.put({ userId, createdAt: profile?.createdAt ?? now, updatedAt: now }));
  });
  return { imported, skippedDuplicates };
}

/** Deletes every record of this user (events, profile, fine-tuned weights) in one transaction. */
export async function forgetUser(database: Database, userId: string): Promise<void> {
  const db = await database.get();
  const tx = db.transaction(['events', 'profiles', 'adaptations'], 'readwrite');
  await commit(tx, 'forgetting the user', async () => {
    let cursor = await tx.objectStore('events').index('by-user-time').openCursor(userRange(userId));
    while (cursor) {
      queued(cursor.delete());
      cursor = await cursor.continue();
    }
    queued(tx.objectStore('profiles').delete(userId));
    queued(tx.objectStore('adaptations').delete(IDBKeyRange.bound([userId, ''], [userId, []])));
  });
}
