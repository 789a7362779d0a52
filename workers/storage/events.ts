/** A user's events: append in one transaction, read newest first, count. */
import { DURABLE, commit, queued, type Database, type EventRecord } from './db';
import type { StoredEvent, TrackEvent } from '../../common/types';

export function toStored(record: EventRecord): StoredEvent {
  const out: StoredEvent = { itemId: record.itemId, type: record.type, at: record.at };
  if (record.value !== undefined) out.value = record.value;
  if (record.text !== undefined) out.text = record.text;
  if (record.id !== undefined) out.id = record.id;
  return out;
}

/** A tracked event as it is stored (without the user), `at` defaulting to `now`. */
export function trackedToStored(e: TrackEvent, now: number): StoredEvent {
  const out: StoredEvent = { itemId: e.itemId, type: e.type, at: e.at ?? now };
  if (e.value !== undefined) out.value = e.value;
  if (e.text !== undefined) out.text = e.text;
  return out;
}

/**
 * Appends all events in one durable transaction: either all are stored or none.
 * An event whose `id` is already stored (a retry after a timeout) is skipped,
 * so it is stored exactly once however often the call is repeated.
 */
export async function addEvents(database: Database, userId: string, events: TrackEvent[], now = Date.now()): Promise<number> {
  return database.run(async (db) => {
    const tx = db.transaction(['events', 'profiles'], 'readwrite', DURABLE);
    await commit(tx, `storing ${events.length} event(s)`, async () => {
      const store = tx.objectStore('events');
      const byId = store.index('by-id');
      const known = await Promise.all(events.map((e) => (e.id === undefined ? undefined : byId.getKey(e.id))));
      const added = new Set<string>();
      events.forEach((e, i) => {
        if (known[i] !== undefined || (e.id !== undefined && added.has(e.id))) return;
        if (e.id !== undefined) added.add(e.id);
        const record: EventRecord = { userId, ...trackedToStored(e, now) };
        if (e.id !== undefined) record.id = e.id;
        queued(store.add(record));
      });
      const profiles = tx.objectStore('profiles');
      const profile = await profiles.get(userId);
      queued(profiles.put({ userId, createdAt: profile?.createdAt ?? now, updatedAt: now }));
    });
    return events.length;
  });
}

/** Newest first, at most `limit`, optionally strictly before a time. */
export async function readHistory(database: Database, userId: string, limit: number, before?: number): Promise<StoredEvent[]> {
  return database.run(async (db) => {
    const upper = before === undefined ? [userId, Infinity] : [userId, before];
    const range = IDBKeyRange.bound([userId, -Infinity], upper, false, before !== undefined);
    const out: StoredEvent[] = [];
    let cursor = await db.transaction('events').store.index('by-user-time').openCursor(range, 'prev');
    while (cursor && out.length < limit) {
      out.push(toStored(cursor.value));
      cursor = await cursor.continue();
    }
    return out;
  });
}

export async function countUserEvents(database: Database, userId: string): Promise<number> {
  return database.run((db) => db.countFromIndex('events', 'by-user-time', IDBKeyRange.bound([userId, -Infinity], [userId, Infinity])));
}

export async function countAllEvents(database: Database): Promise<number> {
  return database.run((db) => db.count('events'));
}

/** Every distinct item id in the user's history (for "exclude seen"), newest history not required. */
export async function readSeenItemIds(database: Database, userId: string): Promise<Set<string>> {
  return database.run(async (db) => {
    const seen = new Set<string>();
    const range = IDBKeyRange.bound([userId, ''], [userId, '\uffff\uffff']);
    let cursor = await db.transaction('events').store.index('by-user-item').openKeyCursor(range, 'nextunique');
    while (cursor) {
      seen.add((cursor.key as [string, string])[1]);
      cursor = await cursor.continue();
    }
    return seen;
  });
}
