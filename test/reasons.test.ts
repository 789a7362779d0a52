import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildCatalog } from '../workers/ranking/catalog';
import { buildProfile } from '../workers/ranking/profile';
import { indexCooccurrence } from '../workers/ranking/signals';
import { blend, rank } from '../workers/ranking/rank';
import { explain, searchReason, SECOND_REASON_MIN_SHARE } from '../workers/ranking/reasons';
import { DEFAULT_WEIGHTS } from '../workers/ranking/weights';
import { profileSignals, type SignalContext } from '../workers/recommend';
import type { StoredEvent } from '../common/types';

// Text vectors over four axes: sci-fi, horror, romance, action.
const movies: Array<[string, string, string[], number[]]> = [
  ['alien', 'Alien', ['sci-fi', 'horror'], [0.8, 0.9, 0, 0.2]],
  ['aliens', 'Aliens', ['sci-fi', 'horror', 'action'], [0.8, 0.7, 0, 0.6]],
  ['predator', 'Predator', ['sci-fi', 'action'], [0.6, 0.4, 0, 0.8]],
  ['thing', 'The Thing', ['horror', 'sci-fi'], [0.6, 1, 0, 0.1]],
  ['matrix', 'The Matrix', ['sci-fi', 'action'], [1, 0, 0, 0.8]],
  ['reloaded', 'The Matrix Reloaded', ['sci-fi', 'action'], [1, 0, 0, 0.9]],
  ['terminator', 'The Terminator', ['sci-fi', 'action'], [0.9, 0.2, 0.1, 0.9]],
  ['blade-runner', 'Blade Runner', ['sci-fi', 'drama'], [1, 0.1, 0.3, 0.2]],
  ['notebook', 'The Notebook', ['romance', 'drama'], [0, 0, 1, 0]],
  ['titanic', 'Titanic', ['romance', 'drama'], [0, 0, 0.9, 0.3]],
  ['casablanca', 'Casablanca', ['romance', 'drama'], [0.1, 0, 1, 0.1]],
  ['pride', 'Pride and Prejudice', ['romance'], [0, 0, 1, 0]],
  ['heat', 'Heat', ['action', 'crime'], [0, 0.1, 0.1, 1]],
  ['up', 'Up', ['family'], [0.2, 0, 0.3, 0.2]],
  ['shining', 'The Shining', ['horror'], [0, 1, 0.1, 0]],
  ['speed', 'Speed', ['action'], [0.1, 0.1, 0.2, 0.9]],
];
const catalog = buildCatalog(movies.map(([id, title, tags]) => ({ id, tags, meta: { title } })));
const dim = 4;
const matrix = new Float32Array(catalog.items.length * dim);
for (const [id, , , v] of movies) matrix.set(v, catalog.index.get(id)! * dim);
const ctx: SignalContext = {
  catalog,
  neighbors: indexCooccurrence(
    {
      neighbors: {
        alien: [
          ['aliens', 6],
          ['thing', 3],
          ['predator', 2],
        ],
        matrix: [
          ['reloaded', 6],
          ['terminator', 4],
          ['aliens', 1],
          ['blade-runner', 2],
        ],
        notebook: [
          ['titanic', 5],
          ['casablanca', 3],
          ['pride', 2],
        ],
      },
    },
    catalog,
  ),
  popularity: new Map([
    ['titanic', 900],
    ['matrix', 800],
    ['heat', 500],
    ['up', 400],
  ]),
  text: { dim, matrix },
};
const likes = (...ids: string[]): StoredEvent[] => ids.map((itemId, n) => ({ itemId, type: 'like', at: 100 - n }));

function scoreOf(history: StoredEvent[], index: number): number {
  return blend(profileSignals(ctx, buildProfile(history, catalog)), DEFAULT_WEIGHTS, catalog.items.length)[index]!;
}

function explainAlone(history: StoredEvent[], index: number): ReturnType<typeof explain> {
  const profile = buildProfile(history, catalog);
  return explain(index, profileSignals(ctx, profile), DEFAULT_WEIGHTS, {
    catalog,
    itemVerbs: profile.itemVerbs,
    tagAffinity: profile.tagAffinity,
  });
}

test('reasons cite the history item whose removal lowers the score most', () => {
  // Newest first: The Matrix is the most recent like, yet Aliens owes most to Alien.
  const history = likes('matrix', 'notebook', 'alien');
  let checked = 0;
  for (const item of catalog.items) {
    const i = catalog.index.get(item.id)!;
    if (history.some((e) => e.itemId === item.id)) continue;
    const reasons = explainAlone(history, i);
    const cited = reasons[0]!.itemIds?.[0];
    if (cited === undefined) continue;
    const full = scoreOf(history, i);
    const drops = history.map((e) => ({
      id: e.itemId,
      drop:
        full -
        scoreOf(
          history.filter((o) => o !== e),
          i,
        ),
    }));
    drops.sort((a, b) => b.drop - a.drop);
    assert.equal(cited, drops[0]!.id, `${item.id}: cites ${cited}, removal drops ${JSON.stringify(drops)}`);
    checked += 1;
  }
  assert.ok(checked >= 8, `checked ${checked} items`);
  assert.match(explainAlone(history, catalog.index.get('aliens')!)[0]!.text, /Alien$/);
});

test('after three likes the top 12 cite at least two different liked items, and seldom a second reason', () => {
  const history = likes('matrix', 'notebook', 'alien');
  const profile = buildProfile(history, catalog);
  const recs = rank({
    catalog,
    signals: profileSignals(ctx, profile),
    weights: DEFAULT_WEIGHTS,
    k: 12,
    exclude: profile.seen,
    diversity: 0,
    explain: { catalog, itemVerbs: profile.itemVerbs, tagAffinity: profile.tagAffinity },
  });
  assert.equal(recs.length, 12);
  const cited = new Set(recs.flatMap((r) => r.reasons[0]!.itemIds ?? []));
  const liked = [...cited].filter((id) => history.some((e) => e.itemId === id));
  assert.ok(liked.length >= 2, `cited ${[...cited].join(', ')}`);
  for (const r of recs) {
    for (const reason of r.reasons.slice(1)) assert.ok(reason.weight >= SECOND_REASON_MIN_SHARE, `${r.itemId}: ${reason.text}`);
    assert.ok(r.reasons.length <= 2);
  }
  const popularSecond = recs.filter((r) => r.reasons[1]?.source === 'popular').length;
  assert.ok(popularSecond < recs.length / 2, `"Popular" second on ${popularSecond} of ${recs.length}`);
});

test('search reasons say what matched', () => {
  const item = catalog.items[catalog.index.get('aliens')!]!;
  assert.equal(searchReason('aliens in space', item, 1).text, 'Matches your search: “aliens” in the title');
  assert.equal(searchReason('horror films', item, 1).text, 'Matches your search: tagged horror');
  assert.equal(searchReason('creature feature', item, 1).text, 'Matches the meaning of “creature feature”');
});
