/** coldStartPicks(): popular items that span the catalog's tastes, not the top of one genre. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { coldStartPicks } from '../workers/cold-start';
import { buildCatalog } from '../workers/ranking/catalog';

/** Three tastes (space, romance, crime); space holds the six most popular items. */
const ITEMS = [
  ...['s1', 's2', 's3', 's4', 's5', 's6'].map((id) => ({ id, tags: ['space'] })),
  ...['r1', 'r2', 'r3'].map((id) => ({ id, tags: ['romance'] })),
  ...['c1', 'c2', 'c3'].map((id) => ({ id, tags: ['crime'] })),
];
const POPULARITY = new Map<string, number>([
  ['s1', 1000],
  ['s2', 950],
  ['s3', 900],
  ['s4', 880],
  ['s5', 860],
  ['s6', 850],
  ['r1', 500],
  ['r2', 300],
  ['r3', 100],
  ['c1', 400],
  ['c2', 250],
  ['c3', 90],
]);
const catalog = buildCatalog(ITEMS);
const AXIS: Record<string, number> = { space: 0, romance: 1, crime: 2 };
const text = {
  dim: 3,
  matrix: Float32Array.from(catalog.items.flatMap((item) => [0, 1, 2].map((d) => (d === AXIS[item.tags[0]!] ? 1 : 0.05)))),
};
const taste = (id: string): string => ITEMS.find((i) => i.id === id)!.tags[0]!;

test('the first picks cover every taste, most popular of each first, where plain popularity gives only space', () => {
  for (const content of [text, undefined]) {
    const picks = coldStartPicks(catalog, POPULARITY, content, 3, new Set());
    assert.deepEqual(
      picks.map((p) => p.itemId),
      ['s1', 'r1', 'c1'],
      content ? 'text vectors' : 'tags',
    );
    assert.ok(picks.every((p) => p.reasons[0]?.source === 'popular' && Number.isFinite(p.score)));
  }
  const byPopularity = [...POPULARITY.entries()].sort((a, b) => b[1] - a[1]).slice(0, 3);
  assert.deepEqual(new Set(byPopularity.map(([id]) => taste(id))), new Set(['space']));
});

test('k, exclusions (seen items) and a small catalog are respected', () => {
  const picks = coldStartPicks(catalog, POPULARITY, text, 5, new Set(['s1', 'r1']));
  assert.equal(picks.length, 5);
  assert.ok(!picks.some((p) => p.itemId === 's1' || p.itemId === 'r1'));
  // With r1 excluded, c1 (400) is more popular than r2 (300): crime comes before romance.
  assert.deepEqual(
    picks.slice(0, 3).map((p) => p.itemId),
    ['s2', 'c1', 'r2'],
  );
  assert.equal(new Set(picks.map((p) => p.itemId)).size, 5);
  assert.equal(coldStartPicks(catalog, POPULARITY, text, 50, new Set()).length, ITEMS.length);
  assert.deepEqual(coldStartPicks(catalog, POPULARITY, text, 3, new Set(ITEMS.map((i) => i.id))), []);
});
