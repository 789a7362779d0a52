import assert from 'node:assert/strict';
import { test } from 'node:test';
import { evaluateLeaveOneOut, MetricAccumulator, popularityScorer, rankOfTarget } from '../training/metrics';

test('rank counts other items scoring >= the target (ties count against it)', () => {
  // items 1..5, index 0 = padding (ignored even if huge)
  const scores = Float32Array.from([99, 0.5, 0.9, 0.5, 0.1, 0.7]);
  assert.equal(rankOfTarget(scores, 1, [], 5), 3); // 0.9, 0.5(tie), 0.7
  assert.equal(rankOfTarget(scores, 2, [], 5), 0);
  assert.equal(rankOfTarget(scores, 4, [], 5), 4);
  // constant scores rank last
  assert.equal(rankOfTarget(new Float32Array(6).fill(1), 3, [], 5), 4);
});

test('seen items are masked, the target never, duplicates once', () => {
  const scores = Float32Array.from([0, 0.5, 0.9, 0.5, 0.1, 0.7]);
  assert.equal(rankOfTarget(scores, 1, [2, 2, 5], 5), 1); // only the tie (item 3) left
  assert.equal(rankOfTarget(scores, 1, [1, 3], 5), 2); // target in history stays ranked
  assert.equal(rankOfTarget(Float32Array.from([0, NaN, 1, 2]), 1, [], 3), 2);
  // offset into a batch row
  const batch = Float32Array.from([0, 1, 2, 3, /* row 2 */ 0, 3, 2, 1]);
  assert.equal(rankOfTarget(batch, 1, [], 3, 4), 0);
});

test('HR and NDCG match hand-computed values', () => {
  const acc = new MetricAccumulator();
  for (const r of [0, 1, 4, 9, 10, 19, 25]) acc.add(r);
  const m = acc.result();
  const n = 7;
  assert.equal(m.users, 7);
  assert.ok(Math.abs(m.hr5 - 3 / n) < 1e-12);
  assert.ok(Math.abs(m.hr10 - 4 / n) < 1e-12);
  assert.ok(Math.abs(m.hr20 - 6 / n) < 1e-12);
  const nd10 = (1 / Math.log2(2) + 1 / Math.log2(3) + 1 / Math.log2(6) + 1 / Math.log2(11)) / n;
  assert.ok(Math.abs(m.ndcg10 - nd10) < 1e-12);
  const nd20 = nd10 + (1 / Math.log2(12) + 1 / Math.log2(21)) / n;
  assert.ok(Math.abs(m.ndcg20 - nd20) < 1e-12);
});

test('leave-one-out evaluation of the popularity baseline', () => {
  // 3 users; training parts = all but last two
  const seqs = [Int32Array.from([1, 2, 3, 4]), Int32Array.from([1, 2, 4, 3]), Int32Array.from([2, 1, 3, 4])];
  const train = seqs.map((s) => s.subarray(0, s.length - 2));
  const pop = popularityScorer(train, 4); // counts: 1→3, 2→3, 3→0, 4→0
  const test = evaluateLeaveOneOut(pop, 4, seqs, [0, 1, 2], 'test');
  // user0: target 4, history {1,2,3} masked → only item 4 left → rank 0
  // user1: target 3, history {1,2,4} masked → rank 0; user2: target 4, history {2,1,3} → rank 0
  assert.equal(test.hr5, 1);
  const valid = evaluateLeaveOneOut(pop, 4, seqs, [0, 1, 2], 'valid');
  // user0: target 3, history {1,2} masked, item 4 ties at 0 → rank 1
  assert.ok(Math.abs(valid.ndcg10 - (1 / Math.log2(3) + 1 / Math.log2(3) + 1 / Math.log2(3)) / 3) < 1e-12);
});
