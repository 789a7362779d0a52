import 'fake-indexeddb/auto';
import { test } from 'node:test';
import { maxAbsDiff, type ModelFixture, randomSequenceModel } from './sequence-fixtures';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { TastebudError } from '../common/errors';
import { Adaptations, adaptationKey } from '../workers/models/adaptation';
import { loadSequenceServer } from '../workers/models/serving/load';
import { MANIFEST_FORMAT_VERSION } from '../common/model-format/manifest';
import { VOCAB_FILE, WEIGHTS_FILE } from '../common/model-format/sequence';
import { composeEnsemble, ENSEMBLE_NAME, meanLogSoftmax, parseEnsembleConfig } from '../common/model-format/ensemble';
import { buildTransitions, decodeTransitions, TRANSITIONS_FILE, transitionLogProbs } from '../common/model-format/transitions';
import { loadSequenceModel } from '../training/sequence/trained-model';
import { readAdaptation } from '../workers/storage/adaptations';
import { Database } from '../workers/storage/db';

const NUM_ITEMS = 30;
const HISTORY = Int32Array.from([3, 7, 3, 12, 29, 1, 5, 7, 18, 22, 9, 14, 2, 30, 6]);

/** A random single model; members differ in architecture, maxLen and seed. */
const member = (architecture: 'sasrec' | 'gru', maxLen: number, seed: number): ModelFixture =>
  randomSequenceModel({ architecture, maxLen, seed });

const MEMBERS = [member('sasrec', 12, 3), member('sasrec', 6, 4), member('gru', 12, 5)];

/** Training sequences for a transition table over the fixtures' items. */
const TRAIN = [
  [1, 2, 3, 4, 5, 6],
  [3, 7, 3, 12, 29],
  [30, 6, 2, 7],
  [12, 29, 1, 5, 7, 18],
].map((s) => Int32Array.from(s));
const TRANSITIONS = { recent: 4, decay: 0.8, smoothing: 5, weight: 0.7 };

function withTransitions(): { bytes: Uint8Array; config: typeof TRANSITIONS & { pairs: number } } {
  const { bytes, pairs } = buildTransitions(TRAIN, NUM_ITEMS);
  return { bytes, config: { ...TRANSITIONS, pairs } };
}

function ensemble(members: readonly ModelFixture[] = MEMBERS, transitions?: ReturnType<typeof withTransitions>): ModelFixture {
  const { config, files } = composeEnsemble(
    members.map((m, i) => ({ name: `member ${i}`, ...m })),
    transitions,
  );
  return {
    manifest: {
      formatVersion: MANIFEST_FORMAT_VERSION,
      kind: 'sequence',
      name: ENSEMBLE_NAME,
      version: 'ens',
      files: files.map((f, i) => ({ path: f.path, sha256: String(i).repeat(64), bytes: f.bytes.byteLength })),
      config: { ...config },
    },
    files: new Map(files.map((f) => [f.path, f.bytes.slice().buffer])),
  };
}

test('the served ensemble scores the mean log-softmax of its members (sasrec and gru, different maxLen), like the Node model', async () => {
  await tf.setBackend('cpu');
  const { manifest, files } = ensemble();
  const server = await loadSequenceServer(manifest, files);
  const reference = await loadSequenceModel(manifest, files);
  const members = await Promise.all(MEMBERS.map((m) => loadSequenceServer(m.manifest, m.files)));
  assert.equal(server.maxLen, 12);
  for (const history of [[5], [1, 2, 3], [...HISTORY]]) {
    const h = Int32Array.from(history);
    const parts = await Promise.all(members.map((m) => m.score(h)));
    const want = meanLogSoftmax(
      parts.map((p) => p.scores),
      1,
      NUM_ITEMS + 1,
    );
    const got = await server.score(h);
    assert.ok(maxAbsDiff(want, got.scores) < 1e-5);
    assert.ok(maxAbsDiff(reference.score(h).scores, got.scores) < 1e-4, 'worker path = training-side path');
    assert.equal(got.contributions.length, Math.min(h.length, 12));
    assert.ok(Math.abs(got.contributions.reduce((a, b) => a + b, 0) - 1) < 1e-4);
    // the maxLen-6 member only weighs the newest six positions
    const older = got.contributions.subarray(0, Math.max(0, got.contributions.length - 6)).reduce((a, b) => a + b, 0);
    const olderWant = [0, 2].reduce(
      (sum, i) => sum + parts[i]!.contributions.subarray(0, Math.max(0, parts[i]!.contributions.length - 6)).reduce((a, b) => a + b, 0) / 3,
      0,
    );
    assert.ok(Math.abs(older - olderWant) < 1e-5);
  }
  assert.deepEqual(
    [...(await server.score(new Int32Array(0))).scores].every((x) => x === 0),
    true,
  );
  const before = tf.memory().numTensors;
  for (let i = 0; i < 30; i++) await server.score(Int32Array.from([1, 2, i + 1]));
  assert.equal(tf.memory().numTensors, before, 'no tensor leak');
  await assert.rejects(server.score(Int32Array.from([31])), /not a model item index/);
  for (const m of [server, ...members]) m.dispose();
  reference.dispose();
});

test("an ensemble with a transition table adds weight × its log-probability to the members' mean, in the worker and in Node", async () => {
  await tf.setBackend('cpu');
  const table = decodeTransitions(withTransitions().bytes.slice().buffer, NUM_ITEMS, withTransitions().config.pairs);
  for (const members of [MEMBERS.slice(0, 2), MEMBERS.slice(2)]) {
    const { manifest, files } = ensemble(members, withTransitions());
    assert.ok(files.has(TRANSITIONS_FILE));
    assert.deepEqual(parseEnsembleConfig(manifest.config).transitions, { ...withTransitions().config, path: TRANSITIONS_FILE });
    const server = await loadSequenceServer(manifest, files);
    const reference = await loadSequenceModel(manifest, files);
    const plain = await Promise.all(members.map((m) => loadSequenceServer(m.manifest, m.files)));
    for (const history of [[5], [1, 2, 3], [...HISTORY]]) {
      const h = Int32Array.from(history);
      const parts = await Promise.all(plain.map((m) => m.score(h)));
      const want = meanLogSoftmax(
        parts.map((p) => p.scores),
        1,
        NUM_ITEMS + 1,
      );
      const logP = new Float32Array(NUM_ITEMS + 1);
      transitionLogProbs(table, TRANSITIONS, h, logP);
      for (let j = 1; j <= NUM_ITEMS; j++) want[j] = (want[j] as number) + TRANSITIONS.weight * (logP[j] as number);
      const got = await server.score(h);
      assert.ok(maxAbsDiff(want, got.scores) < 1e-5);
      assert.ok(maxAbsDiff(reference.score(h).scores, got.scores) < 1e-4, 'worker path = training-side path');
      assert.ok(maxAbsDiff(reference.scoreBatch([h, h]).subarray(NUM_ITEMS + 1), got.scores) < 1e-4, 'batched = single');
      assert.ok(Math.abs(got.contributions.reduce((a, b) => a + b, 0) - 1) < 1e-4, 'reasons still come from the members');
    }
    assert.ok([...(await server.score(new Int32Array(0))).scores].every((x) => x === 0));
    // after 29 the training data only ever had 1: the table pulls item 1 up against the members alone
    const after = Int32Array.from([12, 29]);
    const alone = meanLogSoftmax(
      (await Promise.all(plain.map((m) => m.score(after)))).map((p) => p.scores),
      1,
      NUM_ITEMS + 1,
    );
    const rankOf1 = (s: Float32Array): number => [...s.subarray(1)].filter((x) => x > (s[1] as number)).length;
    assert.ok(rankOf1((await server.score(after)).scores) < rankOf1(alone) || rankOf1(alone) === 0);
    const broken = new Map(files);
    broken.set(TRANSITIONS_FILE, files.get(TRANSITIONS_FILE)!.slice(4));
    await assert.rejects(loadSequenceServer(manifest, broken), (e: unknown) => e instanceof TastebudError && e.code === 'model-integrity');
    await assert.rejects(loadSequenceModel(manifest, broken), (e: unknown) => e instanceof TastebudError && e.code === 'model-integrity');
    for (const m of [server, ...plain]) m.dispose();
    reference.dispose();
  }
  const { config } = composeEnsemble(
    MEMBERS.slice(0, 1).map((m) => ({ name: 'one', ...m })),
    withTransitions(),
  );
  const base = config as unknown as Record<string, unknown>;
  assert.throws(
    () => parseEnsembleConfig({ ...base, transitions: { ...config.transitions, path: 'member-0.bin' } }),
    /transitions.path must be a file of its own/,
  );
  assert.throws(
    () => parseEnsembleConfig({ ...base, transitions: { ...config.transitions, recent: 0 } }),
    /transitions.recent must be a positive integer/,
  );
  assert.throws(() => composeEnsemble([]), /at least two models, got 0/);
});

test("adapt() tunes every member, is stored under a key naming every member's weights, and resets", async () => {
  await tf.setBackend('cpu');
  const { manifest, files } = ensemble();
  const db = new Database(`ensemble-adapt-${process.pid}`);
  const server = await loadSequenceServer(manifest, files);
  const original = (await server.score(HISTORY)).scores;
  const key = adaptationKey(server);
  assert.equal(key, `ensemble@ens:${['1', '2', '3'].map((d) => d.repeat(64)).join(',')}`);
  const adaptations = new Adaptations(db, 'ann');
  const tensorsBefore = tf.memory().numTensors;
  const result = await adaptations.adapt(server, HISTORY, { steps: 15, lr: 0.01, maxMs: 60_000 });
  assert.equal(tf.memory().numTensors, tensorsBefore, 'adapt() leaks no tensors');
  assert.ok(result.stored && result.lossAfter! < result.lossBefore! - 0.1, `loss ${result.lossBefore} → ${result.lossAfter}`);
  const adapted = (await server.score(HISTORY)).scores;
  assert.ok(maxAbsDiff(original, adapted) > 1e-3);
  const record = await readAdaptation(db, 'ann', key);
  const memberBytes = MEMBERS.reduce((n, m) => n + m.files.get(WEIGHTS_FILE)!.byteLength, 0);
  assert.equal(record?.weights.byteLength, memberBytes, 'stored weights: every member, concatenated');
  const restarted = await loadSequenceServer(manifest, files);
  await new Adaptations(db, 'ann').ready(restarted);
  assert.ok(maxAbsDiff(adapted, (await restarted.score(HISTORY)).scores) < 1e-5);
  assert.throws(
    () => restarted.importWeights(new ArrayBuffer(memberBytes - 4)),
    (e: unknown) => e instanceof TastebudError && e.code === 'model-integrity',
  );
  await adaptations.reset(server);
  assert.ok(maxAbsDiff(original, (await server.score(HISTORY)).scores) < 1e-6);
  server.dispose();
  restarted.dispose();
});

test('ensemble configs are validated: members, items, combine rule, weights files', () => {
  const { config } = composeEnsemble(MEMBERS.slice(0, 2).map((m, i) => ({ name: `m${i}`, ...m })));
  const base = config as unknown as Record<string, unknown>;
  const members = config.members as unknown as Array<Record<string, unknown>>;
  assert.equal(parseEnsembleConfig(base).members.length, 2);
  const bad = (patch: Record<string, unknown>, message: RegExp): void =>
    assert.throws(
      () => parseEnsembleConfig({ ...base, ...patch }),
      (e: unknown) => e instanceof TastebudError && e.code === 'model-load' && message.test(e.message),
    );
  bad({ combine: 'max' }, /combine must be "mean-log-softmax"/);
  bad({ members: [] }, /members must be a non-empty array/);
  bad({ members: [members[0], { ...members[1], numItems: 29 }] }, /member 1 has 29 items, the ensemble 30/);
  bad({ members: [members[0], members[0]] }, /distinct weights files/);
  bad({ members: [members[0], { ...members[1], heads: 3 }] }, /dim must be a multiple of heads/);
  assert.throws(() => composeEnsemble([{ name: 'only', ...MEMBERS[0]! }]), /at least two models, got 1/);
  const otherItems = member('sasrec', 12, 9);
  otherItems.files.set(
    VOCAB_FILE,
    new TextEncoder().encode(JSON.stringify(Array.from({ length: NUM_ITEMS }, (_, i) => `other${i}`))).buffer as ArrayBuffer,
  );
  assert.throws(
    () =>
      composeEnsemble([
        { name: 'a', ...MEMBERS[0]! },
        { name: 'b', ...otherItems },
      ]),
    /b has a different item vocabulary/,
  );
});
