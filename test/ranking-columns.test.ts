/** The typed-array ranking pass against the plain per-item definitions it replaces. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mulberry32 } from '../common/random';
import { buildCatalog, type Catalog } from '../workers/ranking/catalog';
import { buildProfile } from '../workers/ranking/profile';
import { popularitySignal, tagJaccard, tagSignal } from '../workers/ranking/signals';
import { catalogColumns, tagJaccardAt } from '../workers/ranking/columns';
import { blend, rank } from '../workers/ranking/rank';
import { DEFAULT_WEIGHTS } from '../workers/ranking/weights';
import type { StoredEvent } from '../common/types';

const TAGS = ['a', 'b', 'c', 'd', 'e', 'f', 'g'];

function world(seed: number): { catalog: Catalog; counts: Map<string, number>; history: StoredEvent[] } {
  const rand = mulberry32(seed);
  const pick = (): string => TAGS[Math.floor(rand() * TAGS.length)]!;
  // some items repeat a tag, some have none
  const items = Array.from({ length: 400 }, (_, i) => ({ id: `i${i}`, tags: Array.from({ length: Math.floor(rand() * 4) }, pick) }));
  const counts = new Map(items.filter(() => rand() < 0.7).map((item) => [item.id, Math.floor(rand() * 1000)]));
  const history = Array.from({ length: 60 }, (_, i) => ({
    itemId: `i${Math.floor(rand() * 420)}`,
    type: rand() < 0.2 ? ('dislike' as const) : ('view' as const),
    at: 1000 - i,
  }));
  return { catalog: buildCatalog(items), counts, history };
}

test('tag and popularity signals over columns equal their per-item definitions', () => {
  for (const seed of [1, 2, 3]) {
    const { catalog, counts, history } = world(seed);
    const profile = buildProfile(history, catalog);
    const own = new Map([...profile.itemWeights].filter(([, w]) => w > 0).map(([i]) => [i, 1]));
    const popularity = popularitySignal(counts, own, catalog).scores;
    const tags = tagSignal(profile, catalog).scores;
    const rawPop = catalog.items.map((item, i) => Math.fround(Math.log1p((counts.get(item.id) ?? 0) + (own.get(i) ?? 0))));
    const rawTags = catalog.items.map((item) =>
      item.tags.length === 0
        ? 0
        : Math.fround(item.tags.reduce((s, t) => s + (profile.tagAffinity.get(t) ?? 0), 0) / Math.sqrt(item.tags.length)),
    );
    const maxPop = Math.max(...rawPop.map(Math.abs));
    const maxTags = Math.max(...rawTags.map(Math.abs));
    catalog.items.forEach((item, i) => {
      assert.ok(Math.abs(popularity[i]! - rawPop[i]! / maxPop) < 1e-6, `popularity of ${item.id}`);
      assert.ok(Math.abs(tags[i]! - rawTags[i]! / maxTags) < 1e-6, `tags of ${item.id}`);
    });
    const columns = catalogColumns(catalog);
    for (let a = 0; a < 60; a++)
      for (let b = 0; b < 60; b++)
        assert.equal(tagJaccardAt(columns, a, b), tagJaccard(catalog.items[a]!.tags, catalog.items[b]!.tags), `jaccard ${a} ${b}`);
  }
});

test('rank: the filter mask leaves out exactly what the id and tag filters name', () => {
  const { catalog, counts, history } = world(4);
  const profile = buildProfile(history, catalog);
  const signals = { popularity: popularitySignal(counts, new Map(), catalog), tags: tagSignal(profile, catalog) };
  const seen = new Uint8Array(catalog.items.length);
  for (const e of history) {
    const i = catalog.index.get(e.itemId);
    if (i !== undefined) seen[i] = 1;
  }
  const exclude = new Set(['i5', 'i7', 'not-in-catalog']);
  const includeTags = ['a', 'b', 'zzz'];
  const excludeTags = ['c'];
  const got = rank({
    catalog,
    signals,
    weights: DEFAULT_WEIGHTS,
    k: 25,
    exclude,
    excludeIndex: seen,
    includeTags,
    excludeTags,
    diversity: 0,
    explain: { catalog, itemVerbs: profile.itemVerbs, tagAffinity: profile.tagAffinity },
  }).map((r) => r.itemId);
  const scores = blend(signals, DEFAULT_WEIGHTS, catalog.items.length);
  const want = catalog.items
    .map((item, i) => ({ item, i }))
    .filter(({ item, i }) => seen[i] === 0 && !exclude.has(item.id))
    .filter(({ item }) => item.tags.some((t) => includeTags.includes(t)) && !item.tags.some((t) => excludeTags.includes(t)))
    .sort((x, y) => scores[y.i]! - scores[x.i]! || x.i - y.i)
    .slice(0, 25)
    .map(({ item }) => item.id);
  assert.deepEqual(got, want);
});
