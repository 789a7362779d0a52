import 'fake-indexeddb/auto';
import { test } from 'node:test';
import { maxAbsDiff, type ModelFixture, randomSequenceModel } from './sequence-fixtures';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { type SequenceModelConfig } from '../common/model-format/sequence';
import { loadSequenceModel } from '../training/sequence/trained-model';
import { batchLoss } from '../training/sequence/train';
import { mulberry32 } from '../common/random';
import { loadSequenceServer } from '../workers/models/serving/load';
import { Adaptations, adaptationKey } from '../workers/models/adaptation';
import { Database } from '../workers/storage/db';
import { TastebudError } from '../common/errors';
import { readAdaptation } from '../workers/storage/adaptations';
import { addEvents } from '../workers/storage/events';
import { forgetUser } from '../workers/storage/portability';

const fixture = (architecture: 'sasrec' | 'gru', seed: number): ModelFixture => randomSequenceModel({ architecture, seed });

let dbCount = 0;
const freshDb = (): Database => new Database(`adapt-${process.pid}-${dbCount++}`);
const HISTORY = Int32Array.from([3, 7, 3, 12, 29, 1, 5, 7, 18, 22, 9, 14, 2, 30, 6]);

test('the GRU is served in the worker path with the training forward scores', async () => {
  await tf.setBackend('cpu');
  const { manifest, files } = fixture('gru', 4);
  const reference = await loadSequenceModel(manifest, files);
  const server = await loadSequenceServer(manifest, files);
  for (const history of [[5], [1, 2, 3], [...HISTORY]]) {
    const h = Int32Array.from(history);
    const want = reference.score(h);
    const got = await server.score(h);
    assert.ok(maxAbsDiff(want.scores, got.scores) < 1e-4);
    assert.equal(got.contributions.length, Math.min(h.length, 12));
    assert.ok(Math.abs(got.contributions.reduce((a, b) => a + b, 0) - 1) < 1e-4);
    want.contributions.forEach((c, i) => assert.ok(Math.abs(c - got.contributions[i]!) < 1e-4));
  }
  reference.dispose();
  server.dispose();
});

for (const architecture of ['sasrec', 'gru'] as const) {
  test(`${architecture}: the fine-tuning loss is the training loss (full softmax, no dropout)`, async () => {
    await tf.setBackend('cpu');
    const { manifest, files } = fixture(architecture, 5);
    const reference = await loadSequenceModel(manifest, files);
    const server = await loadSequenceServer(manifest, files);
    const n = Math.min(HISTORY.length - 1, 12);
    const batch = {
      ids: HISTORY.slice(HISTORY.length - 1 - n, HISTORY.length - 1),
      targets: HISTORY.slice(HISTORY.length - n),
      batch: 1,
      len: n,
    };
    const want = tf.tidy(
      () =>
        batchLoss(
          // the reference model's own variables (same weights as the server's)
          (reference as unknown as { params: Map<string, tf.Variable> }).params,
          reference.config as SequenceModelConfig,
          batch,
          0,
          mulberry32(1),
        ).dataSync()[0]!,
    );
    const got = tf.tidy(() => server.nextItemLoss(HISTORY).dataSync()[0]!);
    assert.ok(Math.abs(want - got) < 1e-4, `training loss ${want} vs fine-tuning loss ${got}`);
    reference.dispose();
    server.dispose();
  });

  test(`${architecture}: adapt() lowers the loss on the history, is stored, re-applied on the next start, and reset`, async () => {
    await tf.setBackend('cpu');
    const { manifest, files } = fixture(architecture, 6);
    const db = freshDb();
    const server = await loadSequenceServer(manifest, files);
    const original = (await server.score(HISTORY)).scores;
    const adaptations = new Adaptations(db, 'ann');
    const tensorsBefore = tf.memory().numTensors;
    const result = await adaptations.adapt(server, HISTORY, { steps: 20, lr: 0.01, maxMs: 60_000 });
    assert.equal(tf.memory().numTensors, tensorsBefore, 'adapt() leaks no tensors');
    assert.equal(result.steps, 20);
    assert.equal(result.historyItems, 13);
    assert.ok(result.stored);
    assert.ok(result.lossAfter! < result.lossBefore! - 0.1, `loss ${result.lossBefore} → ${result.lossAfter}`);
    assert.equal(result.model, adaptationKey(server));
    const adapted = (await server.score(HISTORY)).scores;
    assert.ok(maxAbsDiff(original, adapted) > 1e-3, 'the adapted model scores differently');

    // A new start (new model instance, new engine state) picks the stored weights up.
    const restarted = await loadSequenceServer(manifest, files);
    await new Adaptations(db, 'ann').ready(restarted);
    assert.ok(maxAbsDiff(adapted, (await restarted.score(HISTORY)).scores) < 1e-5);
    // Another user on the same device still gets the shipped model.
    const other = await loadSequenceServer(manifest, files);
    await new Adaptations(db, 'bob').ready(other);
    assert.ok(maxAbsDiff(original, (await other.score(HISTORY)).scores) < 1e-6);

    await adaptations.reset(server);
    assert.ok(maxAbsDiff(original, (await server.score(HISTORY)).scores) < 1e-6);
    assert.equal(await readAdaptation(db, 'ann', adaptationKey(server)), undefined);
    for (const m of [server, restarted, other]) m.dispose();
  });
}

test('adapt() respects maxMs, needs two known items, and forget() erases the adapted weights', async () => {
  await tf.setBackend('cpu');
  const { manifest, files } = fixture('sasrec', 7);
  const db = freshDb();
  const server = await loadSequenceServer(manifest, files);
  const original = (await server.score(HISTORY)).scores;
  const adaptations = new Adaptations(db, 'ann');
  const short = await adaptations.adapt(server, Int32Array.from([4]), {});
  assert.deepEqual(
    { steps: short.steps, stored: short.stored, lossBefore: short.lossBefore },
    { steps: 0, stored: false, lossBefore: null },
  );
  const timed = await adaptations.adapt(server, HISTORY, { steps: 1000, maxMs: 150 });
  assert.ok(timed.steps >= 1 && timed.steps < 1000, `steps ${timed.steps}`);
  assert.ok(timed.ms >= 150, `took ${timed.ms} ms`);
  await addEvents(db, 'ann', [{ itemId: 'item1', type: 'view' }]);
  await forgetUser(db, 'ann');
  adaptations.forgotten(server);
  assert.equal(await readAdaptation(db, 'ann', adaptationKey(server)), undefined);
  assert.ok(maxAbsDiff(original, (await server.score(HISTORY)).scores) < 1e-6);
  server.dispose();
});

test('forget() wins over a running adapt(): it stops unsaved, and a run that outlives a forget() in another tab stores nothing', async () => {
  await tf.setBackend('cpu');
  const { manifest, files } = fixture('sasrec', 8);
  const db = freshDb();
  const server = await loadSequenceServer(manifest, files);
  const original = (await server.score(HISTORY)).scores;
  const adaptations = new Adaptations(db, 'ann');
  // Same tab: forget() cancels the run between steps, then erases.
  const running = adaptations.adapt(server, HISTORY, { steps: 1000, lr: 0.01, maxMs: 60_000 });
  await new Promise((resolve) => setTimeout(resolve, 50));
  await adaptations.cancel(server);
  await forgetUser(db, 'ann');
  await assert.rejects(running, (err: unknown) => err instanceof TastebudError && err.code === 'aborted');
  assert.equal(await readAdaptation(db, 'ann', adaptationKey(server)), undefined);
  assert.ok(maxAbsDiff(original, (await server.score(HISTORY)).scores) < 1e-6, 'serves the shipped weights again');
  // Another tab's forget() commits while this run trains (only the database is shared): nothing is written.
  const otherTab = adaptations.adapt(server, HISTORY, { steps: 1000, lr: 0.01, maxMs: 1_500 });
  await new Promise((resolve) => setTimeout(resolve, 20));
  await forgetUser(db, 'ann');
  await assert.rejects(otherTab, (err: unknown) => err instanceof TastebudError && err.code === 'aborted');
  assert.equal(await readAdaptation(db, 'ann', adaptationKey(server)), undefined);
  assert.ok(maxAbsDiff(original, (await server.score(HISTORY)).scores) < 1e-6);
  server.dispose();
});
