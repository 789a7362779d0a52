import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { addLogSoftmax, checkSameVocabulary, meanLogSoftmax } from '../common/model-format/ensemble';
import { TastebudError } from '../common/errors';

const logSoftmax = (row: number[]): number[] => {
  const items = row.slice(1);
  const max = Math.max(...items);
  const logZ = max + Math.log(items.reduce((z, x) => z + Math.exp(x - max), 0));
  return [0, ...items.map((x) => x - logZ)];
};

test("the ensemble score is the mean of the members' log-softmax over items 1..n (padding column left 0)", () => {
  const a = Float32Array.from([99, 1, 2, 3, /* row 2 */ -5, 0, 0, 4]);
  const b = Float32Array.from([-7, 3, 0, -1, /* row 2 */ 50, 2, 2, 2]);
  const got = meanLogSoftmax([a, b], 2, 4);
  const want = [0, 1].flatMap((r) => {
    const la = logSoftmax([...a.subarray(r * 4, r * 4 + 4)]);
    const lb = logSoftmax([...b.subarray(r * 4, r * 4 + 4)]);
    return la.map((x, j) => (x + (lb[j] as number)) / 2);
  });
  got.forEach((x, i) => assert.ok(Math.abs(x - (want[i] as number)) < 1e-5, `${i}: ${x} vs ${want[i]}`));
  assert.equal(got[0], 0);
  assert.equal(got[4], 0);
});

test("a member's scale and offset per row do not matter beyond its probabilities; one member keeps its own ranking", () => {
  fc.assert(
    fc.property(
      fc.array(fc.float({ min: -20, max: 20, noNaN: true }), { minLength: 3, maxLength: 12 }),
      fc.float({ min: -100, max: 100, noNaN: true }),
      (logits, shift) => {
        const width = logits.length + 1;
        const row = Float32Array.from([0, ...logits]);
        const shifted = Float32Array.from([0, ...logits.map((x) => x + shift)]);
        const one = meanLogSoftmax([row], 1, width);
        const other = meanLogSoftmax([shifted], 1, width);
        for (let j = 1; j < width; j++) {
          assert.ok(Math.abs((one[j] as number) - (other[j] as number)) < 1e-3);
          for (let k = 1; k < width; k++)
            if ((row[j] as number) > (row[k] as number) + 1e-3) assert.ok((one[j] as number) > (one[k] as number));
        }
        // probabilities of a log-softmax row sum to 1
        let total = 0;
        for (let j = 1; j < width; j++) total += Math.exp(one[j] as number);
        assert.ok(Math.abs(total - 1) < 1e-4);
      },
    ),
  );
});

test('shape mismatches and empty ensembles are refused', () => {
  assert.throws(
    () => addLogSoftmax(new Float32Array(8), new Float32Array(6), 2, 4, 1),
    (e: unknown) => e instanceof TastebudError && e.code === 'internal',
  );
  assert.throws(
    () => meanLogSoftmax([], 1, 4),
    (e: unknown) => e instanceof TastebudError && e.code === 'invalid-argument',
  );
});

test('members must share one item vocabulary, in the same order', () => {
  checkSameVocabulary([
    { name: 'a', itemIds: ['1', '2'] },
    { name: 'b', itemIds: ['1', '2'] },
  ]);
  assert.throws(
    () =>
      checkSameVocabulary([
        { name: 'a', itemIds: ['1', '2'] },
        { name: 'b', itemIds: ['2', '1'] },
      ]),
    /b has a different item vocabulary \(2 items\) from a/,
  );
  assert.throws(
    () =>
      checkSameVocabulary([
        { name: 'a', itemIds: ['1', '2'] },
        { name: 'b', itemIds: ['1', '2', '3'] },
      ]),
    (e: unknown) => e instanceof TastebudError && e.code === 'invalid-argument',
  );
});
