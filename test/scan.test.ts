import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { createVectorIndex, type ScanMetric, type ScanPrecision, type VectorIndexOptions } from '../workers/ranking/scan/index';
import { createF32Scanner, createI8Scanner } from '../workers/ranking/scan/kernels';
import { scanModule } from '../workers/ranking/scan/wasm';
import { topK } from '../workers/ranking/topk';
import { rowNorms, searchScores } from '../workers/ranking/content';
import { mulberry32 } from '../common/random';
import { searchTopK } from '../workers/ranking/search';

const PRECISIONS: ScanPrecision[] = ['int8', 'f32'];
const METRICS: ScanMetric[] = ['dot', 'cosine'];

function gaussian(rand: () => number): number {
  return Math.sqrt(-2 * Math.log(rand() + 1e-12)) * Math.cos(2 * Math.PI * rand());
}
function randomVectors(n: number, dim: number, seed: number): Float32Array {
  const rand = mulberry32(seed);
  return Float32Array.from({ length: n * dim }, () => gaussian(rand));
}
/** `clusters` tight clusters: rows = centre + small noise, so top-k rows are close in score. */
function clusteredVectors(n: number, dim: number, clusters: number, noise: number, seed: number): Float32Array {
  const rand = mulberry32(seed);
  const centres = Float32Array.from({ length: clusters * dim }, () => gaussian(rand));
  const out = new Float32Array(n * dim);
  for (let i = 0; i < n; i++) {
    const c = Math.floor(rand() * clusters);
    for (let d = 0; d < dim; d++) out[i * dim + d] = centres[c * dim + d]! + noise * gaussian(rand);
  }
  return out;
}

/** The reference: exact scores as a Float32Array (float64 sums, like content.ts), top-k by ../topk.ts. */
function bruteForce(
  vectors: Float32Array,
  dim: number,
  query: Float32Array,
  k: number,
  metric: ScanMetric,
  allowed?: (i: number) => boolean,
): { indices: number[]; scores: number[] } {
  const n = vectors.length / dim;
  let scores: Float32Array;
  if (metric === 'cosine') {
    scores = searchScores(query, vectors, dim, n);
  } else {
    scores = new Float32Array(n);
    for (let i = 0; i < n; i++) {
      let dot = 0;
      for (let d = 0; d < dim; d++) dot += vectors[i * dim + d]! * query[d]!;
      scores[i] = dot;
    }
  }
  const indices = topK(scores, k, allowed);
  return { indices, scores: indices.map((i) => scores[i]!) };
}

function check(
  vectors: Float32Array,
  dim: number,
  query: Float32Array,
  k: number,
  options: VectorIndexOptions,
  allowed?: (i: number) => boolean,
): void {
  const index = createVectorIndex(vectors, dim, options);
  const got = index.topK(query, k, allowed);
  const want = bruteForce(vectors, dim, query, k, options.metric ?? 'dot', allowed);
  assert.deepEqual([...got.indices], want.indices, `${JSON.stringify(options)} indices`);
  assert.deepEqual([...got.scores], want.scores, `${JSON.stringify(options)} scores`);
  index.dispose();
}

function recallAt(vectors: Float32Array, dim: number, queries: Float32Array[], k: number, options: VectorIndexOptions): number {
  const index = createVectorIndex(vectors, dim, options);
  let hits = 0;
  for (const q of queries) {
    const truth = new Set(bruteForce(vectors, dim, q, k, options.metric ?? 'dot').indices);
    for (const i of index.topK(q, k).indices) if (truth.has(i)) hits++;
  }
  index.dispose();
  return hits / (queries.length * k);
}

test('WebAssembly SIMD compiles in Node, so the tests cover the WASM kernel', () => {
  assert.ok(scanModule(), 'scan.wat did not compile');
  assert.equal(createVectorIndex(new Float32Array(32), 16).kernel, 'wasm-simd');
  assert.equal(createVectorIndex(new Float32Array(32), 16, { kernel: 'js' }).kernel, 'js');
});

test('top-k equals the brute-force f32 top-k on random data, dim not a multiple of 16', () => {
  for (const dim of [37, 64, 5]) {
    const vectors = randomVectors(3000, dim, dim);
    const query = randomVectors(1, dim, 99 + dim);
    for (const precision of PRECISIONS)
      for (const metric of METRICS)
        for (const kernel of ['auto', 'js'] as const) {
          check(vectors, dim, query, 10, { precision, metric, kernel });
        }
  }
});

test('recall@10 vs exact is 1.0 on random and on clustered data', () => {
  const dim = 64;
  const queries = Array.from({ length: 10 }, (_, j) => randomVectors(1, dim, 500 + j));
  const data = { random: randomVectors(20000, dim, 7), clustered: clusteredVectors(20000, dim, 20, 0.05, 8) };
  for (const [name, vectors] of Object.entries(data)) {
    // Clustered queries sit near a cluster, where the top rows are close in score.
    const qs =
      name === 'clustered' ? queries.map((q, j) => Float32Array.from(q, (x, d) => vectors[j * 97 * dim + d]! + 0.05 * x)) : queries;
    for (const metric of METRICS)
      for (const precision of PRECISIONS) {
        const recall = recallAt(vectors, dim, qs, 10, { precision, metric });
        assert.equal(recall, 1, `${name} ${metric} ${precision}: recall@10 ${recall}`);
        for (const q of qs.slice(0, 3)) check(vectors, dim, q, 10, { precision, metric });
      }
  }
});

test('allowed() filters rows and the result is the filtered exact top-k', () => {
  const dim = 24;
  const vectors = randomVectors(2000, dim, 3);
  const query = randomVectors(1, dim, 4);
  const allowed = (i: number): boolean => i % 3 === 1;
  for (const precision of PRECISIONS) {
    const index = createVectorIndex(vectors, dim, { precision });
    const got = index.topK(query, 15, allowed);
    assert.ok([...got.indices].every(allowed));
    assert.equal(got.indices.length, 15);
    check(vectors, dim, query, 15, { precision }, allowed);
  }
});

test('k larger than the catalogue returns every allowed row, best first', () => {
  const dim = 16;
  const vectors = randomVectors(40, dim, 5);
  const query = randomVectors(1, dim, 6);
  for (const precision of PRECISIONS) {
    check(vectors, dim, query, 1000, { precision });
    check(vectors, dim, query, 1000, { precision }, (i) => i < 7);
    assert.equal(createVectorIndex(vectors, dim, { precision }).topK(query, 1000, (i) => i < 7).indices.length, 7);
  }
  assert.equal(createVectorIndex(new Float32Array(0), 8).topK(new Float32Array(8), 5).indices.length, 0);
  assert.equal(createVectorIndex(vectors, dim).topK(query, 0).indices.length, 0);
});

test('zero rows score 0; a zero query ties everything at 0, lowest index first', () => {
  const dim = 20;
  const vectors = randomVectors(300, dim, 9);
  for (const i of [0, 5, 77, 299]) vectors.fill(0, i * dim, (i + 1) * dim);
  const query = randomVectors(1, dim, 10);
  for (const precision of PRECISIONS)
    for (const metric of METRICS) {
      check(vectors, dim, query, 300, { precision, metric });
      check(vectors, dim, new Float32Array(dim), 12, { precision, metric });
      check(vectors, dim, new Float32Array(dim), 12, { precision, metric }, (i) => i > 100);
    }
});

test('NaN and Infinity behave as topk.ts over exact scores: NaN never wins, +Infinity leads', () => {
  const dim = 18;
  const vectors = randomVectors(500, dim, 11);
  vectors[3 * dim + 2] = Number.NaN;
  vectors[40 * dim + 7] = Number.POSITIVE_INFINITY;
  vectors[41 * dim + 7] = Number.NEGATIVE_INFINITY;
  const query = randomVectors(1, dim, 12);
  query[7] = Math.abs(query[7]!) + 0.5;
  for (const precision of PRECISIONS)
    for (const metric of METRICS) {
      const got = createVectorIndex(vectors, dim, { precision, metric }).topK(query, 500);
      // dot: NaN never wins; cosine: a NaN row has no positive norm and scores 0, as in searchScores.
      if (metric === 'dot') assert.ok(![...got.indices].includes(3), 'a NaN row never wins');
      else assert.equal(got.scores[[...got.indices].indexOf(3)], 0);
      check(vectors, dim, query, 10, { precision, metric });
      check(vectors, dim, query, 500, { precision, metric });
      check(vectors, dim, query, 10, { precision, metric }, (i) => i !== 40);
    }
  const dotTop = createVectorIndex(vectors, dim).topK(query, 1);
  assert.deepEqual([...dotTop.indices], [40]);
  assert.equal(dotTop.scores[0], Number.POSITIVE_INFINITY);
  const badQuery = randomVectors(1, dim, 13);
  badQuery[0] = Number.NaN;
  assert.equal(createVectorIndex(vectors, dim).topK(badQuery, 5).indices.length, 0);
  const infQuery = randomVectors(1, dim, 14);
  infQuery[1] = Number.POSITIVE_INFINITY;
  check(vectors, dim, infQuery, 10, {});
});

test('the JS fallback computes the same approximate scores as the WASM kernel, bit for bit', () => {
  for (const dim of [1, 16, 33, 64, 100]) {
    const n = 700;
    const vectors = randomVectors(n, dim, 20 + dim);
    const query = randomVectors(1, dim, 21 + dim);
    const base = {
      vectors,
      dim,
      n,
      weight: (i: number) => 1 + i / n,
      skip: Uint8Array.from({ length: n }, (_, i) => (i === 4 || i === 9 ? 1 : 0)),
    };
    for (const create of [createI8Scanner, createF32Scanner]) {
      const wasm = create({ ...base, wasm: true });
      const js = create({ ...base, wasm: false });
      assert.equal(wasm.kernel, 'wasm-simd');
      assert.equal(js.kernel, 'js');
      const a = wasm.scan(query);
      const b = js.scan(query);
      assert.deepEqual(Array.from(a.scores), Array.from(b.scores), `${wasm.precision} dim ${dim}`);
      assert.equal(a.unit, b.unit);
      assert.equal(a.error, b.error);
      assert.equal(a.scores[4], 0);
    }
  }
});

test('the scan error bound holds for every row (int8 and f32, dot and cosine weights)', () => {
  for (const [name, vectors] of [
    ['random', randomVectors(3000, 48, 40)],
    ['clustered', clusteredVectors(3000, 48, 5, 0.02, 41)],
  ] as const) {
    const dim = 48;
    const n = 3000;
    const norms = rowNorms(vectors, dim, n);
    for (const weight of [() => 1, (i: number) => 1 / norms[i]!]) {
      for (const create of [createI8Scanner, createF32Scanner]) {
        const query = randomVectors(1, dim, 42);
        const { scores, unit, error } = create({ vectors, dim, n, weight, skip: new Uint8Array(n), wasm: true }).scan(query);
        let worst = 0;
        for (let i = 0; i < n; i++) {
          let dot = 0;
          for (let d = 0; d < dim; d++) dot += vectors[i * dim + d]! * query[d]!;
          worst = Math.max(worst, Math.abs(scores[i]! * unit - weight(i) * dot));
        }
        assert.ok(worst <= error, `${name}: worst error ${worst} > bound ${error}`);
        assert.ok(error < 1e3 * worst + 1e-3, `${name}: the bound ${error} is far looser than the error ${worst}`);
      }
    }
  }
});

test('the int8 scan reads a quarter of the f32 bytes', () => {
  const vectors = randomVectors(1000, 64, 30);
  assert.equal(createVectorIndex(vectors, 64, { precision: 'int8' }).bytes, 1000 * (64 + 4));
  assert.equal(createVectorIndex(vectors, 64, { precision: 'f32' }).bytes, 1000 * 64 * 4);
});

test('a disposed index rejects queries; bad shapes are rejected', () => {
  const index = createVectorIndex(randomVectors(10, 8, 31), 8);
  index.dispose();
  assert.throws(() => index.topK(new Float32Array(8), 3), /disposed/);
  assert.throws(() => createVectorIndex(new Float32Array(10), 3), RangeError);
  assert.throws(() => createVectorIndex(new Float32Array(9), 3).topK(new Float32Array(4), 1), RangeError);
});

test('property: equals the brute-force top-k on small inputs with ties, zeros, NaN and filters', () => {
  const value = fc.oneof(
    { weight: 20, arbitrary: fc.integer({ min: -4, max: 4 }) },
    { weight: 4, arbitrary: fc.double({ min: -10, max: 10, noNaN: true }) },
    { weight: 1, arbitrary: fc.constant(Number.NaN) },
  );
  fc.assert(
    fc.property(
      fc.integer({ min: 1, max: 40 }).chain((dim) =>
        fc.record({
          dim: fc.constant(dim),
          rows: fc.array(fc.array(value, { minLength: dim, maxLength: dim }), { maxLength: 120 }),
          query: fc.array(fc.integer({ min: -4, max: 4 }), { minLength: dim, maxLength: dim }),
        }),
      ),
      fc.integer({ min: 1, max: 30 }),
      fc.constantFrom(...PRECISIONS),
      fc.constantFrom(...METRICS),
      fc.constantFrom('auto' as const, 'js' as const),
      fc.integer({ min: 0, max: 4 }),
      ({ dim, rows, query }, k, precision, metric, kernel, mod) => {
        const vectors = Float32Array.from(rows.flat());
        const allowed = mod === 0 ? undefined : (i: number) => i % (mod + 1) !== 0;
        // ≤ 120 rows: every allowed row is a candidate, so the result must be exact even with ties.
        check(vectors, dim, Float32Array.from(query), k, { precision, metric, kernel }, allowed);
      },
    ),
    { numRuns: 300 },
  );
});

test('property: with few first candidates the widening still returns the exact top-k', () => {
  fc.assert(
    fc.property(
      fc.integer({ min: 1, max: 1_000_000 }),
      fc.integer({ min: 1, max: 70 }),
      fc.integer({ min: 1, max: 20 }),
      (seed, dim, k) => {
        const n = 1500;
        const query = randomVectors(1, dim, seed + 1);
        const clustered = seed % 2 === 0;
        const vectors = clustered ? clusteredVectors(n, dim, 3, 0.01, seed) : randomVectors(n, dim, seed);
        check(vectors, dim, query, k, {
          candidates: k,
          metric: seed % 3 === 0 ? 'cosine' : 'dot',
          precision: seed % 5 === 0 ? 'f32' : 'int8',
        });
      },
    ),
    { numRuns: 40 },
  );
});

test('searchTopK: the indexed path (repeated searches of a large catalogue) returns what the plain scan returns', () => {
  const dim = 32;
  const n = 25_000;
  const vectors = clusteredVectors(n, dim, 30, 0.3, 50);
  for (let i = 0; i < n; i += 7) vectors.fill(0, i * dim, (i + 1) * dim); // items without text
  const excluded = (i: number): boolean => i % 11 === 3;
  for (let j = 0; j < 6; j++) {
    const query = randomVectors(1, dim, 60 + j);
    if (j === 5) query.fill(0);
    for (const k of [1, 10, 100]) {
      const plain = searchTopK(query, vectors, dim, n, k, excluded, Number.POSITIVE_INFINITY);
      const indexed = searchTopK(query, vectors, dim, n, k, excluded); // the first call scans, later ones use the index
      assert.deepEqual(indexed, plain, `query ${j}, k ${k}`);
      assert.ok(plain.every((h) => h.score > 0 && !excluded(h.index)));
    }
  }
  // Few positive matches: both paths stop at the last positive score.
  const far = new Float32Array(dim * 3000);
  for (let i = 0; i < 3000; i++) far[i * dim] = i < 5 ? 1 : -1;
  const q = new Float32Array(dim);
  q[0] = 1;
  for (let rep = 0; rep < 2; rep++)
    assert.deepEqual(
      searchTopK(q, far, dim, 3000, 10, () => false, 1000).map((h) => h.index),
      [0, 1, 2, 3, 4],
    );
});
