import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { TastebudError } from '../common/errors';
import {
  addTransitionScores,
  buildTransitions,
  decodeTransitions,
  parseTransitionsConfig,
  transitionLogProbs,
} from '../common/model-format/transitions';

const N = 6;
const SEQS = [[1, 2, 3, 2, 3], [2, 3, 4], [5, 1, 2], [6]].map((s) => Int32Array.from(s));

/** Dense reference: P(j | history) straight from the definition, pop add-one smoothed. */
function reference(seqs: readonly Int32Array[], n: number, history: number[], recent: number, decay: number, smoothing: number): number[] {
  const counts = Array.from({ length: n + 1 }, () => new Array<number>(n + 1).fill(0));
  const pop = new Array<number>(n + 1).fill(0);
  for (const s of seqs)
    s.forEach((a, t) => {
      pop[a]!++;
      if (t + 1 < s.length) counts[a]![s[t + 1]!]!++;
    });
  const total = pop.reduce((a, b) => a + b, 0);
  const share = (j: number): number => (pop[j]! + 1) / (total + n);
  const out = [0];
  const used = history.slice(-recent).reverse();
  const votes = used.reduce((v, _, q) => v + decay ** q, 0);
  for (let j = 1; j <= n; j++) {
    if (used.length === 0) {
      out.push(Math.log(share(j)));
      continue;
    }
    let p = 0;
    used.forEach((l, q) => {
      const row = counts[l]!.reduce((a, b) => a + b, 0);
      p += (decay ** q * (counts[l]![j]! + smoothing * share(j))) / (row + smoothing);
    });
    out.push(Math.log(p / votes));
  }
  return out;
}

test('the transition table gives the mixture of smoothed next-item probabilities over the newest items', () => {
  const { bytes, pairs } = buildTransitions(SEQS, N);
  assert.equal(pairs, 5, '1→2, 2→3, 3→2, 3→4 and 5→1, repeats counted once');
  const table = decodeTransitions(bytes.slice().buffer, N, pairs);
  assert.deepEqual([...table.rowTotal], [0, 2, 3, 2, 0, 1, 0]);
  const cfg = { recent: 3, decay: 0.5, smoothing: 2 };
  for (const h of [[2], [1, 2], [3, 5, 1, 2], [6], []]) {
    const out = new Float32Array(N + 1);
    transitionLogProbs(table, cfg, h, out);
    const want = reference(SEQS, N, h, cfg.recent, cfg.decay, cfg.smoothing);
    want.forEach((w, j) => assert.ok(Math.abs(w - (out[j] as number)) < 1e-5, `history ${h}, item ${j}: ${out[j]} vs ${w}`));
    const sum = [...out.subarray(1)].reduce((a, b) => a + Math.exp(b), 0);
    assert.ok(Math.abs(sum - 1) < 1e-5, 'a distribution over the items');
  }
  // after item 2 (seen followed by 3 twice out of three), 3 is the most likely next item
  const after2 = new Float32Array(N + 1);
  transitionLogProbs(table, { recent: 1, decay: 1, smoothing: 1 }, [2], after2);
  assert.equal([...after2.subarray(1)].indexOf(Math.max(...after2.subarray(1))) + 1, 3);
});

test('any interaction data round-trips through the table file and gives finite log-probabilities', () => {
  fc.assert(
    fc.property(
      fc.integer({ min: 1, max: 12 }).chain((n) =>
        fc.record({
          n: fc.constant(n),
          seqs: fc.array(fc.array(fc.integer({ min: 1, max: n }), { maxLength: 15 }), { maxLength: 8 }),
          history: fc.array(fc.integer({ min: 1, max: n }), { maxLength: 6 }),
          recent: fc.integer({ min: 1, max: 5 }),
          decay: fc.double({ min: 0, max: 1, noNaN: true }),
          smoothing: fc.double({ min: 0.01, max: 50, noNaN: true }),
        }),
      ),
      ({ n, seqs, history, recent, decay, smoothing }) => {
        const s = seqs.map((x) => Int32Array.from(x));
        const { bytes, pairs } = buildTransitions(s, n);
        const table = decodeTransitions(bytes.slice().buffer, n, pairs);
        const out = new Float32Array(n + 1);
        transitionLogProbs(table, { recent, decay, smoothing }, history, out);
        const probs = [...out.subarray(1)].map(Math.exp);
        assert.ok([...out].every(Number.isFinite), `finite: ${[...out]}`);
        assert.ok(Math.abs(probs.reduce((a, b) => a + b, 0) - 1) < 1e-4);
        const want = reference(s, n, history, recent, decay, smoothing);
        want.forEach((w, j) => assert.ok(Math.abs(w - (out[j] as number)) < 1e-4));
      },
    ),
    { numRuns: 200 },
  );
});

test('ensemble rows get weight × log P added; empty histories and weight 0 add nothing', () => {
  const { bytes, pairs } = buildTransitions(SEQS, N);
  const table = decodeTransitions(bytes.slice().buffer, N, pairs);
  const cfg = { path: 't.bin', pairs, recent: 2, decay: 0.7, smoothing: 3, weight: 0.4 };
  const histories = [[1, 2], [], [4]];
  const sum = Float32Array.from({ length: 3 * (N + 1) }, (_, i) => (i % (N + 1) === 0 ? 0 : i / 10));
  const before = sum.slice();
  addTransitionScores(sum, table, cfg, histories);
  histories.forEach((h, b) => {
    const want = reference(SEQS, N, h, cfg.recent, cfg.decay, cfg.smoothing);
    for (let j = 1; j <= N; j++) {
      const i = b * (N + 1) + j;
      const added = h.length === 0 ? 0 : cfg.weight * (want[j] as number);
      assert.ok(Math.abs((sum[i] as number) - ((before[i] as number) + added)) < 1e-5);
    }
    assert.equal(sum[b * (N + 1)], 0, 'padding column untouched');
  });
  const unchanged = before.slice();
  addTransitionScores(unchanged, table, { ...cfg, weight: 0 }, histories);
  assert.deepEqual(unchanged, before);
});

test('a damaged table or config is refused with a model-integrity / model-load error', () => {
  const { bytes, pairs } = buildTransitions(SEQS, N);
  const integrity = (e: unknown): boolean => e instanceof TastebudError && e.code === 'model-integrity';
  assert.throws(() => decodeTransitions(bytes.slice(0, bytes.length - 4).buffer, N, pairs), integrity);
  assert.throws(() => decodeTransitions(bytes.slice().buffer, N, pairs + 1), integrity);
  const badItem = bytes.slice();
  // the first next-item entry (after pop [N + 1] and row starts [N + 2]) points outside the catalog
  new DataView(badItem.buffer).setInt32(4 * (N + 1) + 4 * (N + 2), N + 5, true);
  assert.throws(() => decodeTransitions(badItem.buffer, N, pairs), integrity);
  assert.throws(
    () => buildTransitions([Int32Array.from([1, N + 1])], N),
    (e: unknown) => e instanceof TastebudError && e.code === 'invalid-argument',
  );
  const good = { path: 'transitions.bin', pairs, recent: 20, decay: 0.8, smoothing: 100, weight: 0.7 };
  assert.deepEqual(parseTransitionsConfig(good), good);
  for (const [patch, message] of [
    [{ recent: 0 }, /recent must be a positive integer/],
    [{ decay: 1.5 }, /decay must be a number in \[0, 1\]/],
    [{ weight: -1 }, /weight must be/],
    [{ smoothing: 0 }, /smoothing must be above 0/],
    [{ path: '' }, /path must be a file path/],
    [{ pairs: 1.5 }, /pairs must be/],
  ] as const) {
    assert.throws(
      () => parseTransitionsConfig({ ...good, ...patch }),
      (e: unknown) => e instanceof TastebudError && e.code === 'model-load' && message.test(e.message),
    );
  }
  assert.throws(() => parseTransitionsConfig([]), /transitions must be an object/);
});
