import 'fake-indexeddb/auto';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { TrackEvent } from '../common/types';
import { mulberry32 } from '../common/random';
import { Database } from '../workers/storage/db';
import { addEvents, countUserEvents, readHistory, readSeenItemIds } from '../workers/storage/events';
import { PROFILE_WINDOW } from '../workers/ranking/profile';
import { buildCatalog } from '../workers/ranking/catalog';
import { UserHistoryCache } from '../workers/user-cache';

let n = 0;
const fresh = (): Database => new Database(`user-cache-${process.pid}-${n++}`);

function cacheOf(db: Database, userId: string): UserHistoryCache {
  return new UserHistoryCache(async () => {
    const [recent, seen] = await Promise.all([readHistory(db, userId, PROFILE_WINDOW), readSeenItemIds(db, userId)]);
    return { recent, seen };
  });
}

/** Batches with explicit times, some older than what is stored and some tied, as track() may receive them. */
function batch(rand: () => number, size: number, base: number): TrackEvent[] {
  return Array.from({ length: size }, () => ({
    itemId: `i${Math.floor(rand() * 900)}`,
    type: rand() < 0.8 ? ('view' as const) : ('like' as const),
    at: base + Math.floor(rand() * 40) - 30,
  }));
}

test('appends keep the in-memory window and seen set equal to what IndexedDB returns, past the profile window', async () => {
  const db = fresh();
  const cache = cacheOf(db, 'ann');
  const rand = mulberry32(21);
  await addEvents(db, 'ann', batch(rand, 5, 1000));
  assert.equal((await cache.history()).recent.length, 5);
  let at = 1000;
  while ((await countUserEvents(db, 'ann')) <= PROFILE_WINDOW + 100) {
    at += 25;
    const events = batch(rand, 1 + Math.floor(rand() * 40), at);
    await addEvents(db, 'ann', events, at);
    cache.appended(events.map((e) => ({ itemId: e.itemId, type: e.type, at: e.at! })));
  }
  const { recent, seen } = await cache.history();
  assert.equal(recent.length, PROFILE_WINDOW);
  assert.deepEqual(recent, await readHistory(db, 'ann', PROFILE_WINDOW));
  assert.deepEqual([...seen].sort(), [...(await readSeenItemIds(db, 'ann'))].sort());
});

test('the seen mask follows appends for the catalog it was built for; reset reads the store again', async () => {
  const db = fresh();
  const cache = cacheOf(db, 'bob');
  const catalog = buildCatalog(['a', 'b', 'c', 'd'].map((id) => ({ id })));
  await addEvents(db, 'bob', [{ itemId: 'b', type: 'view', at: 1 }]);
  assert.deepEqual([...(await cache.seenMask(catalog))], [0, 1, 0, 0]);
  await addEvents(db, 'bob', [
    { itemId: 'd', type: 'like', at: 2 },
    { itemId: 'zz', type: 'view', at: 3 },
  ]);
  cache.appended([
    { itemId: 'd', type: 'like', at: 2 },
    { itemId: 'zz', type: 'view', at: 3 },
  ]);
  assert.deepEqual([...(await cache.seenMask(catalog))], [0, 1, 0, 1]);
  assert.ok((await cache.history()).seen.has('zz'));
  // another tab stored an event: this cache does not know until reset
  await addEvents(db, 'bob', [{ itemId: 'a', type: 'view', at: 4 }]);
  cache.reset();
  assert.deepEqual([...(await cache.seenMask(catalog))], [1, 1, 0, 1]);
  assert.deepEqual((await cache.history()).recent, await readHistory(db, 'bob', PROFILE_WINDOW));
});

test('a load that raced an append is not kept', async () => {
  const db = fresh();
  const cache = cacheOf(db, 'cy');
  const loading = cache.history();
  await addEvents(db, 'cy', [{ itemId: 'a', type: 'view', at: 1 }]);
  cache.appended([{ itemId: 'a', type: 'view', at: 1 }]);
  await loading;
  assert.deepEqual((await cache.history()).recent, await readHistory(db, 'cy', PROFILE_WINDOW));
});
