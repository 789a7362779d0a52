import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  buildContentProfile,
  centerVectors,
  contentSignal,
  meanVector,
  rowCosine,
  rowNorms,
  searchScores,
} from '../workers/ranking/content';

/** Rows: 0 space, 1 space-ish, 2 romance, 3 romance-ish, 4 no content, 5 mixed. */
const DIM = 3;
const V = Float32Array.from([1, 0, 0, 0.9, 0.1, 0, 0, 1, 0, 0.1, 0.9, 0, 0, 0, 0, 0.5, 0.5, 0.7]);
const N = 6;
const close = (a: number, b: number, eps = 1e-5): boolean => Math.abs(a - b) < eps;
const norm = (v: Float32Array): number => Math.sqrt(v.reduce((s, x) => s + x * x, 0));

describe('content profile', () => {
  test('likes pull: the profile is the normalised weighted centroid of liked rows', () => {
    const p = buildContentProfile(
      V,
      DIM,
      new Map([
        [0, 1],
        [1, 1],
      ]),
    );
    assert.ok(p.vector);
    assert.ok(close(norm(p.vector), 1));
    const r1 = Math.hypot(0.9, 0.1);
    const c = [1 + 0.9 / r1, 0.1 / r1, 0];
    const cn = Math.hypot(...c);
    c.forEach((x, d) => assert.ok(close(p.vector![d]!, x / cn)));
    assert.equal(p.likes, 2);
    assert.equal(p.dislikes, 0);
    assert.deepEqual(
      p.contributors.map((x) => x.index),
      [0, 1],
    );
  });

  test('row scale does not matter, only direction and event weight', () => {
    const scaled = Float32Array.from(V);
    for (let d = 0; d < DIM; d++) scaled[DIM * 2 + d] = scaled[DIM * 2 + d]! * 10;
    const a = buildContentProfile(
      V,
      DIM,
      new Map([
        [0, 1],
        [2, 1],
      ]),
    );
    const b = buildContentProfile(
      scaled,
      DIM,
      new Map([
        [0, 1],
        [2, 1],
      ]),
    );
    for (let d = 0; d < DIM; d++) assert.ok(close(a.vector![d]!, b.vector![d]!));
  });

  test('dislikes push the profile away from what was disliked', () => {
    const likeOnly = buildContentProfile(V, DIM, new Map([[5, 1]]));
    const withDislike = buildContentProfile(
      V,
      DIM,
      new Map([
        [5, 1],
        [2, -1],
      ]),
    );
    const romance = (p: typeof likeOnly): number => contentSignal(p, V, DIM, N).scores[3]!;
    const space = (p: typeof likeOnly): number => contentSignal(p, V, DIM, N).scores[1]!;
    assert.ok(romance(withDislike) < romance(likeOnly));
    assert.ok(space(withDislike) > space(likeOnly));
    assert.equal(withDislike.dislikes, 1);
    assert.deepEqual(
      withDislike.contributors.map((c) => c.index),
      [5],
    );
    // β = 0: dislikes are ignored
    const noPush = buildContentProfile(
      V,
      DIM,
      new Map([
        [5, 1],
        [2, -1],
      ]),
      { dislikeWeight: 0 },
    );
    for (let d = 0; d < DIM; d++) assert.ok(close(noPush.vector![d]!, likeOnly.vector![d]!));
  });

  test('only dislikes: the profile points away from them', () => {
    const p = buildContentProfile(V, DIM, new Map([[2, -2]]));
    assert.ok(p.vector);
    const s = contentSignal(p, V, DIM, N).scores;
    assert.ok(close(s[2]!, -1));
    assert.ok(s[0]! >= s[2]!);
    assert.deepEqual(p.contributors, []);
    assert.ok(Array.from(contentSignal(p, V, DIM, N).topContributor!).every((c) => c === -1));
  });

  test('no usable history gives a null profile and all-zero scores', () => {
    for (const w of [
      new Map<number, number>(),
      new Map([[4, 1]]),
      new Map([
        [99, 1],
        [-1, 1],
        [0.5, 1],
      ]),
      new Map([[0, 0]]),
      new Map([[0, Number.NaN]]),
    ]) {
      const p = buildContentProfile(V, DIM, w);
      assert.equal(p.vector, null);
      const s = contentSignal(p, V, DIM, N);
      assert.ok(s.scores.every((x) => x === 0));
      assert.ok(s.topContributor!.every((x) => x === -1));
    }
    // likes and dislikes of the same direction with β = 1 cancel
    assert.equal(
      buildContentProfile(
        V,
        DIM,
        new Map([
          [0, 1],
          [1, 0],
          [2, 0],
        ]),
        { dislikeWeight: 1 },
      ).vector === null,
      false,
    );
    assert.equal(
      buildContentProfile(
        Float32Array.from([1, 0, 0, 2, 0, 0]),
        DIM,
        new Map([
          [0, 1],
          [1, -1],
        ]),
        { dislikeWeight: 1 },
      ).vector,
      null,
    );
  });

  test('contributors: strongest first, capped', () => {
    const p = buildContentProfile(
      V,
      DIM,
      new Map([
        [0, 1],
        [1, 3],
        [2, 2],
        [3, 2],
        [5, -1],
      ]),
      { maxContributors: 3 },
    );
    assert.deepEqual(p.contributors, [
      { index: 1, weight: 3 },
      { index: 2, weight: 2 },
      { index: 3, weight: 2 },
    ]);
    assert.equal(p.likes, 4);
  });
});

describe('content signal', () => {
  test('scores are cosines in [-1, 1]; zero rows score 0', () => {
    const p = buildContentProfile(V, DIM, new Map([[0, 1]]));
    const { scores } = contentSignal(p, V, DIM, N);
    assert.equal(scores.length, N);
    assert.ok(close(scores[0]!, 1));
    assert.ok(close(scores[1]!, 0.9 / Math.hypot(0.9, 0.1)));
    assert.ok(close(scores[2]!, 0));
    assert.equal(scores[4], 0);
    assert.ok(scores.every((x) => x >= -1 && x <= 1));
  });

  test('topContributor is the liked item most similar to each item', () => {
    const p = buildContentProfile(
      V,
      DIM,
      new Map([
        [0, 1],
        [2, 1],
      ]),
    );
    const { topContributor } = contentSignal(p, V, DIM, N);
    assert.deepEqual(Array.from(topContributor!), [0, 0, 2, 2, -1, 0]);
    // on an exact tie the stronger contributor wins
    const tie = buildContentProfile(
      Float32Array.from([1, 0, 0, 0, 1, 0, 1, 1, 0]),
      DIM,
      new Map([
        [0, 1],
        [1, 2],
      ]),
    );
    assert.equal(contentSignal(tie, Float32Array.from([1, 0, 0, 0, 1, 0, 1, 1, 0]), DIM, 3).topContributor![2], 1);
  });

  test('contributors: false skips the per-item contributor pass', () => {
    const p = buildContentProfile(V, DIM, new Map([[0, 1]]));
    const s = contentSignal(p, V, DIM, N, { contributors: false });
    assert.ok(s.topContributor!.every((x) => x === -1));
    assert.deepEqual(s.scores, contentSignal(p, V, DIM, N).scores);
  });
});

describe('search and centring', () => {
  test('searchScores is the cosine with the query; zero query gives zeros; wrong size throws', () => {
    const s = searchScores(Float32Array.from([0, 2, 0]), V, DIM, N);
    assert.ok(close(s[2]!, 1));
    assert.ok(close(s[0]!, 0));
    assert.equal(s[4], 0);
    assert.ok(searchScores(new Float32Array(DIM), V, DIM, N).every((x) => x === 0));
    assert.throws(() => searchScores(new Float32Array(2), V, DIM, N), RangeError);
  });

  test('centerVectors subtracts the mean of non-zero rows and re-normalises; zero rows stay zero', () => {
    const pos = Float32Array.from([1, 0.9, 0.8, 1, 0.8, 0.9, 0, 0, 0, 0.8, 1, 0.9]);
    const mean = meanVector(pos, DIM, 4);
    assert.ok(close(mean[0]!, (1 + 1 + 0.8) / 3));
    const c = centerVectors(pos, DIM, 4);
    assert.deepEqual(Array.from(c.subarray(6, 9)), [0, 0, 0]);
    for (const i of [0, 1, 3]) assert.ok(close(norm(c.subarray(i * DIM, (i + 1) * DIM)), 1));
    // all-positive rows: raw cosines are all high, centred ones spread out
    assert.ok(rowCosine(pos, DIM, 0, 1) > 0.95);
    assert.ok(rowCosine(c, DIM, 0, 1) < 0.5);
    // a given mean is used as is
    const c0 = centerVectors(pos, DIM, 4, new Float32Array(DIM));
    assert.ok(close(c0[0]!, 1 / Math.hypot(1, 0.9, 0.8)));
    assert.throws(() => centerVectors(pos, DIM, 4, new Float32Array(2)), RangeError);
  });

  test('rowCosine', () => {
    assert.ok(close(rowCosine(V, DIM, 0, 0), 1));
    assert.equal(rowCosine(V, DIM, 0, 4), 0);
    assert.ok(close(rowCosine(V, DIM, 0, 2), 0));
  });
});

describe('row norms', () => {
  test('searchScores and contentSignal give the same scores with precomputed norms', () => {
    const norms = rowNorms(V, DIM, N);
    assert.equal(norms[4], 0);
    assert.ok(close(norms[5]!, Math.hypot(0.5, 0.5, 0.7)));
    const q = Float32Array.from([0.3, -0.2, 0.9]);
    const a = searchScores(q, V, DIM, N);
    const b = searchScores(q, V, DIM, N, norms);
    for (let i = 0; i < N; i++) assert.ok(close(a[i]!, b[i]!));
    const p = buildContentProfile(
      V,
      DIM,
      new Map([
        [5, 1],
        [2, -1],
      ]),
    );
    const s1 = contentSignal(p, V, DIM, N);
    const s2 = contentSignal(p, V, DIM, N, { norms });
    for (let i = 0; i < N; i++) assert.ok(close(s1.scores[i]!, s2.scores[i]!));
    assert.deepEqual(s1.topContributor, s2.topContributor);
    assert.throws(() => searchScores(q, V, DIM, N, new Float32Array(2)), RangeError);
  });
});
