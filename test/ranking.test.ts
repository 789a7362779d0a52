import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { topK } from '../workers/ranking/topk';
import { buildCatalog } from '../workers/ranking/catalog';
import { buildProfile, eventWeight } from '../workers/ranking/profile';
import { cooccurrenceSignal, indexCooccurrence, popularitySignal, tagSignal, tagJaccard } from '../workers/ranking/signals';
import { mmr, rank } from '../workers/ranking/rank';
import { SECOND_REASON_MIN_SHARE } from '../workers/ranking/reasons';
import { DEFAULT_WEIGHTS, SEQUENCE_DEFAULT_WEIGHTS } from '../workers/ranking/weights';
import { similarItems } from '../workers/ranking/similar';
import type { StoredEvent } from '../common/types';

test('topK equals a full sort (ties by lower index) for any input', () => {
  fc.assert(
    fc.property(fc.array(fc.integer({ min: -5, max: 5 })), fc.integer({ min: 0, max: 20 }), (values, k) => {
      const expected = values
        .map((v, i) => [v, i] as const)
        .sort((a, b) => b[0] - a[0] || a[1] - b[1])
        .slice(0, k)
        .map(([, i]) => i);
      assert.deepEqual(topK(values, k), expected);
    }),
    { numRuns: 500 },
  );
});

test('topK respects the filter and skips NaN', () => {
  assert.deepEqual(
    topK([3, Number.NaN, 5, 1], 2, (i) => i !== 2),
    [0, 3],
  );
});

const catalog = buildCatalog([
  { id: 'alien', tags: ['sci-fi', 'horror'], meta: { title: 'Alien' } },
  { id: 'aliens', tags: ['sci-fi', 'action'], meta: { title: 'Aliens' } },
  { id: 'notebook', tags: ['romance'], text: 'The Notebook\nA love story' },
  { id: 'titanic', tags: ['romance', 'drama'] },
  { id: 'up', tags: ['family'] },
]);
const at = (n: number, itemId: string, type: StoredEvent['type'], value?: number): StoredEvent => ({
  itemId,
  type,
  at: n,
  ...(value === undefined ? {} : { value }),
});

test('labels come from meta.title, then the first text line, then the id', () => {
  assert.deepEqual(
    catalog.items.map((i) => i.label),
    ['Alien', 'Aliens', 'The Notebook', 'titanic', 'up'],
  );
});

test('event weights: likes pull, dislikes push, ratings centre on 3', () => {
  assert.ok(eventWeight('like') > 0 && eventWeight('dislike') < 0 && eventWeight('skip') < 0);
  assert.equal(eventWeight('rate', 5), 2);
  assert.equal(eventWeight('rate', 1), -2);
  assert.equal(eventWeight('view', 2), 1);
});

test('profile: recency decay, unknown items counted, tags learned', () => {
  const profile = buildProfile([at(3, 'ghost', 'like'), at(2, 'notebook', 'dislike'), at(1, 'alien', 'like')], catalog);
  assert.equal(profile.unknownItems, 1);
  assert.ok(profile.seen.has('ghost'));
  assert.ok(profile.tagAffinity.get('sci-fi')! > 0);
  assert.ok(profile.tagAffinity.get('romance')! < 0);
  assert.deepEqual(profile.sequence, [catalog.index.get('alien')]);
});

test('rank: co-occurrence dominates with a "because you liked" reason; filters apply', () => {
  const neighbors = indexCooccurrence(
    {
      neighbors: {
        alien: [
          ['aliens', 5],
          ['titanic', 1],
          ['missing', 9],
        ],
      },
    },
    catalog,
  );
  const profile = buildProfile([at(1, 'alien', 'like')], catalog);
  const signals = {
    popularity: popularitySignal(
      new Map([
        ['titanic', 1000],
        ['up', 10],
      ]),
      new Map(),
      catalog,
    ),
    cooccurrence: cooccurrenceSignal(neighbors, profile, catalog.items.length),
    tags: tagSignal(profile, catalog),
  };
  const explain = { catalog, itemVerbs: profile.itemVerbs, tagAffinity: profile.tagAffinity };
  const base = { catalog, signals, weights: DEFAULT_WEIGHTS, k: 3, diversity: 0, explain };
  const recs = rank({ ...base, exclude: new Set(['alien']) });
  assert.equal(recs[0]!.itemId, 'aliens');
  assert.deepEqual(recs[0]!.reasons[0], {
    source: 'co-occurrence',
    text: 'Because you liked Alien',
    itemIds: ['alien'],
    weight: recs[0]!.reasons[0]!.weight,
  });
  // A second reason only where that signal carries a real share of the score.
  assert.ok(recs[0]!.reasons.slice(1).every((r) => r.weight >= SECOND_REASON_MIN_SHARE));
  const total = recs[0]!.reasons.reduce((s, r) => s + r.weight, 0);
  assert.ok(total > 0 && total <= 1 + 1e-6);
  assert.ok(!rank({ ...base, exclude: new Set(['alien', 'aliens']) }).some((r) => r.itemId === 'aliens'));
  const romance = rank({ ...base, includeTags: ['romance'] });
  assert.deepEqual(romance.map((r) => r.itemId).sort(), ['notebook', 'titanic']);
  assert.ok(!rank({ ...base, excludeTags: ['sci-fi'] }).some((r) => r.itemId.startsWith('alien')));
});

test('rank: no signal at all says so instead of inventing one', () => {
  const profile = buildProfile([], catalog);
  const recs = rank({
    catalog,
    signals: { popularity: popularitySignal(new Map(), new Map(), catalog) },
    weights: DEFAULT_WEIGHTS,
    k: 2,
    diversity: 0,
    explain: { catalog, itemVerbs: profile.itemVerbs, tagAffinity: profile.tagAffinity },
  });
  assert.equal(recs.length, 2);
  assert.equal(recs[0]!.reasons[0]!.source, 'catalog');
});

test('mmr: diversity 0 keeps relevance order; 1 spreads over dissimilar items', () => {
  const relevance = new Float32Array([1, 0.99, 0.98, 0.5]);
  const groups = [0, 0, 0, 1];
  const sim = (a: number, b: number): number => (groups[a] === groups[b] ? 1 : 0);
  assert.deepEqual(mmr([0, 1, 2, 3], relevance, 2, 0, sim), [0, 1]);
  assert.deepEqual(mmr([0, 1, 2, 3], relevance, 2, 0.7, sim), [0, 3]);
  assert.equal(tagJaccard(['a', 'b'], ['b', 'c']), 1 / 3);
});

test('similar: neighbours and shared tags, never the item itself', () => {
  const neighbors = indexCooccurrence({ neighbors: { alien: [['aliens', 5]] } }, catalog);
  const out = similarItems({
    catalog,
    neighbors,
    itemIndex: catalog.index.get('alien')!,
    k: 5,
    exclude: new Set(),
    weights: { cooccurrence: 1, tags: 0.5 },
  });
  assert.equal(out[0]!.itemId, 'aliens');
  assert.equal(out[0]!.reasons[0]!.text, 'Often enjoyed together with Alien');
  assert.ok(out.every((r) => r.itemId !== 'alien' && r.score > 0));
});

test('novelty turns popularity from a bonus into a penalty', async () => {
  const { withNovelty } = await import('../workers/recommend');
  const profile = buildProfile([], catalog);
  const signals = {
    popularity: popularitySignal(
      new Map([
        ['titanic', 1000],
        ['up', 900],
        ['alien', 1],
      ]),
      new Map(),
      catalog,
    ),
  };
  const explain = { catalog, itemVerbs: profile.itemVerbs, tagAffinity: profile.tagAffinity };
  const plain = rank({ catalog, signals, weights: withNovelty(DEFAULT_WEIGHTS, 0), k: 2, diversity: 0, explain });
  const novel = rank({ catalog, signals, weights: withNovelty(DEFAULT_WEIGHTS, 1), k: 2, diversity: 0, explain });
  assert.deepEqual(
    plain.map((r) => r.itemId),
    ['titanic', 'up'],
  );
  assert.ok(!novel.some((r) => r.itemId === 'titanic' || r.itemId === 'up'));
});

test('blend weights shipped in a manifest override the defaults, untrusted values are dropped', async () => {
  const { blendWeights } = await import('../workers/recommend');
  const { parseBlend } = await import('../workers/models/registry');
  const fitted = parseBlend({ blend: { sequence: 2, popularity: -1, tags: 'x', contentText: 0.1 } });
  assert.deepEqual(fitted, { sequence: 2, contentText: 0.1 });
  assert.deepEqual(blendWeights(fitted), { ...SEQUENCE_DEFAULT_WEIGHTS, sequence: 2, contentText: 0.1 });
  // no fitted blend: beside a sequence model the other signals only nudge
  assert.deepEqual(blendWeights(undefined), SEQUENCE_DEFAULT_WEIGHTS);
  assert.ok(
    SEQUENCE_DEFAULT_WEIGHTS.contentText < DEFAULT_WEIGHTS.contentText &&
      SEQUENCE_DEFAULT_WEIGHTS.cooccurrence < DEFAULT_WEIGHTS.cooccurrence,
  );
  // a user the model does not score gets the content-first defaults, fitted blend or not
  assert.deepEqual(blendWeights(fitted, false), DEFAULT_WEIGHTS);
  assert.equal(parseBlend({}), undefined);
});

test('recommendFor: fitted weights for users the sequence model scores, content-first defaults for the others', async () => {
  const { recommendFor } = await import('../workers/recommend');
  const vocabulary = new Map([
    ['alien', 1],
    ['aliens', 2],
    ['titanic', 3],
    ['up', 4],
  ]); // 'notebook' unknown to the model
  let calls = 0;
  const model = {
    maxLen: 10,
    score: async (history: Int32Array) => {
      calls++;
      assert.ok(history.length > 0);
      return { scores: Float32Array.from([0, 0, 0.5, 0, 2]), contributions: new Float32Array(history.length).fill(1 / history.length) };
    },
  } as unknown as import('../workers/models/serving/server').SequenceServer;
  // a blend fitted beside the sequence model: popularity, no tags or co-occurrence
  const sequence = {
    model,
    vocabulary,
    blend: { sequence: 1, popularity: 0.5, tags: 0, cooccurrence: 0, contentText: 0, contentImage: 0 },
  };
  const popularity = new Map([
    ['up', 900],
    ['alien', 100],
    ['aliens', 50],
    ['titanic', 40],
    ['notebook', 30],
  ]);
  const base = { catalog, neighbors: indexCooccurrence(undefined, catalog), popularity, sequence };
  const scored = await recommendFor({ ...base, history: [at(1, 'alien', 'like')], seen: new Set(['alien']) }, { k: 2 });
  assert.equal(calls, 1);
  assert.deepEqual(
    scored.results.map((r) => r.itemId),
    ['up', 'aliens'],
  );
  // liked only an item the model does not know: no sequence signal, so the tags (romance) lead, not popularity
  const unscored = await recommendFor({ ...base, history: [at(1, 'notebook', 'like')], seen: new Set(['notebook']) }, { k: 1 });
  assert.equal(calls, 1);
  assert.deepEqual(
    unscored.results.map((r) => r.itemId),
    ['titanic'],
  );
});
