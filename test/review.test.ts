import 'fake-indexeddb/auto';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { TastebudError } from '../common/errors';
import { LIMITS, validateEvents, validateExportData } from '../common/validate';
import { Database } from '../workers/storage/db';
import { addEvents, readHistory } from '../workers/storage/events';
import { exportUser, forgetUser, importUser } from '../workers/storage/portability';
import { buildCatalog } from '../workers/ranking/catalog';
import { buildProfile, eventWeight } from '../workers/ranking/profile';
import { reviewStrength } from '../workers/ranking/sentiment';
import { indexCooccurrence } from '../workers/ranking/signals';
import { rank } from '../workers/ranking/rank';
import { DEFAULT_WEIGHTS } from '../workers/ranking/weights';
import { profileSignals } from '../workers/recommend';
import type { StoredEvent } from '../common/types';

function rejects(fn: () => unknown, field: string): void {
  assert.throws(fn, (err: unknown) => {
    assert.ok(err instanceof TastebudError);
    assert.equal(err.code, 'invalid-argument');
    assert.equal(err.field, field);
    return true;
  });
}

const PRAISE = 'An absolute masterpiece, I loved every minute.';
const PAN = 'Boring, predictable and far too long.';

test('review events: text is required, a non-empty string within the limit, and only on reviews', () => {
  assert.deepEqual(validateEvents({ itemId: 'a', type: 'review', text: PRAISE }), [{ itemId: 'a', type: 'review', text: PRAISE }]);
  rejects(() => validateEvents({ itemId: 'a', type: 'review' }), 'event.text');
  rejects(() => validateEvents({ itemId: 'a', type: 'review', text: '  ' }), 'event.text');
  rejects(() => validateEvents({ itemId: 'a', type: 'review', text: 42 }), 'event.text');
  rejects(() => validateEvents({ itemId: 'a', type: 'review', text: 'x'.repeat(LIMITS.reviewLength + 1) }), 'event.text');
  rejects(() => validateEvents([{ itemId: 'a', type: 'like', text: PRAISE }]), 'events[0].text');
  const exported = { format: 'tastebud-export', version: 1, userId: 'u', exportedAt: 1 };
  rejects(() => validateExportData({ ...exported, events: [{ itemId: 'a', type: 'view', at: 1, text: 'hi' }] }), 'data.events[0].text');
});

test('review sentiment: praise counts like a like, panning like a dislike, negation understood', () => {
  assert.ok(reviewStrength(PRAISE) > 0.9);
  assert.ok(reviewStrength(PAN) < -0.9);
  assert.ok(reviewStrength('I did not enjoy it.') < 0);
  assert.ok(reviewStrength('I was not disappointed.') > 0);
  assert.ok(Math.abs(reviewStrength('Beautiful visuals but a terrible script.')) < 0.5);
  assert.ok(eventWeight('review', undefined, PRAISE) > 0 && eventWeight('review', undefined, PAN) < 0);
  assert.ok(eventWeight('review', undefined, PRAISE) <= eventWeight('like'));
});

const catalog = buildCatalog(
  [
    ['alien', 'Alien', ['sci-fi', 'horror']],
    ['aliens', 'Aliens', ['sci-fi', 'horror']],
    ['predator', 'Predator', ['sci-fi']],
    ['notebook', 'The Notebook', ['romance']],
    ['titanic', 'Titanic', ['romance']],
    ['casablanca', 'Casablanca', ['romance']],
    ['up', 'Up', ['family']],
  ].map(([id, title, ...tags]) => ({ id: id as string, tags: tags.flat(), meta: { title: title as string } })),
);
const ctx = {
  catalog,
  neighbors: indexCooccurrence(
    {
      neighbors: {
        alien: [
          ['aliens', 4],
          ['predator', 2],
        ],
        notebook: [
          ['titanic', 4],
          ['casablanca', 2],
        ],
      },
    },
    catalog,
  ),
  popularity: new Map([
    ['titanic', 1000],
    ['casablanca', 800],
    ['up', 10],
  ]),
};

test('a praised item’s neighbours rank above a panned item’s, and only the praise is cited', () => {
  const history: StoredEvent[] = [
    { itemId: 'notebook', type: 'review', text: PAN, at: 2 },
    { itemId: 'alien', type: 'review', text: PRAISE, at: 1 },
  ];
  const profile = buildProfile(history, catalog);
  const recs = rank({
    catalog,
    signals: profileSignals(ctx, profile),
    weights: DEFAULT_WEIGHTS,
    k: 5,
    exclude: profile.seen,
    diversity: 0,
    explain: { catalog, itemVerbs: profile.itemVerbs, tagAffinity: profile.tagAffinity },
  });
  const order = recs.map((r) => r.itemId);
  for (const praised of ['aliens', 'predator'])
    for (const panned of ['titanic', 'casablanca']) assert.ok(order.indexOf(praised) < order.indexOf(panned), order.join(' '));
  assert.equal(recs[0]!.reasons[0]!.text, 'Because you praised Alien');
  for (const r of recs)
    for (const reason of r.reasons) {
      assert.ok(!reason.itemIds?.includes('notebook'), `${r.itemId}: ${reason.text}`);
      assert.ok(!/Notebook|panned/.test(reason.text), `${r.itemId}: ${reason.text}`);
    }
});

test('a review keeps its text through export, forget and import', async () => {
  const db = new Database(`review-${process.pid}`);
  await addEvents(db, 'ann', [
    { itemId: 'alien', type: 'review', text: PRAISE, at: 1 },
    { itemId: 'notebook', type: 'review', text: PAN, at: 2 },
  ]);
  const exported = validateExportData(JSON.parse(JSON.stringify(await exportUser(db, 'ann', 3))));
  assert.deepEqual(
    exported.events.map((e) => e.text),
    [PRAISE, PAN],
  );
  await forgetUser(db, 'ann');
  assert.deepEqual(await readHistory(db, 'ann', 10), []);
  assert.deepEqual(await importUser(db, 'ann', exported, 'merge'), { imported: 2, skippedDuplicates: 0 });
  assert.deepEqual(
    (await readHistory(db, 'ann', 10)).map((e) => [e.itemId, e.type, e.text]),
    [
      ['notebook', 'review', PAN],
      ['alien', 'review', PRAISE],
    ],
  );
  await db.close();
});
