/**
 * Serving computes only what the newest position needs (the last block for the
 * final row only) and keeps a history's keys and values for the next append.
 * Every score must equal the Node reference model's full forward.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { maxAbsDiff, type ModelFixture, randomSequenceModel } from './sequence-fixtures';
import type { AttentionKind, BlockLayout, PositionOrigin } from '../workers/models/sequence/sasrec';
import { loadSequenceModel } from '../training/sequence/trained-model';
import { loadSequenceServer } from '../workers/models/serving/load';
import { SasrecServer } from '../workers/models/serving/sasrec';
import type { SequenceServer } from '../workers/models/serving/server';
import { MANIFEST_FORMAT_VERSION } from '../common/model-format/manifest';
import { composeEnsemble, ENSEMBLE_NAME } from '../common/model-format/ensemble';
import { buildTransitions } from '../common/model-format/transitions';
import { mulberry32 } from '../common/random';

const NUM_ITEMS = 30;
const MAX_LEN = 12;

/** A stream of appends that runs past maxLen, so the window slides at the end. */
function appendStream(length: number, seed: number): Int32Array {
  const rand = mulberry32(seed);
  return Int32Array.from({ length }, () => 1 + Math.floor(rand() * NUM_ITEMS));
}

async function backends(): Promise<string[]> {
  const out = ['cpu'];
  if (await tf.setBackend('wasm').catch(() => false)) out.push('wasm');
  return out;
}

/** Scores every prefix of `stream` on one server (so it may reuse what it kept) and on the reference; returns the kept bytes after each. */
async function checkAppends(fixture: ModelFixture, stream: Int32Array, label: string): Promise<number[]> {
  const reference = await loadSequenceModel(fixture.manifest, fixture.files);
  const server = await loadSequenceServer(fixture.manifest, fixture.files);
  const kept: number[] = [];
  try {
    for (let n = 1; n <= stream.length; n++) {
      const h = stream.subarray(0, n);
      const want = reference.score(h);
      const got = await server.score(h);
      assert.ok(maxAbsDiff(want.scores.subarray(1), got.scores.subarray(1)) < 1e-4, `${label}: scores after ${n} events`);
      assert.equal(got.contributions.length, want.contributions.length);
      assert.ok(maxAbsDiff(want.contributions, got.contributions) < 1e-4, `${label}: attention after ${n} events`);
      if (server instanceof SasrecServer) kept.push(server.keptBytes());
    }
  } finally {
    reference.dispose();
    server.dispose();
  }
  return kept;
}

const layouts: Array<[PositionOrigin, BlockLayout | undefined, boolean?, AttentionKind?]> = [
  ['from-start', undefined],
  ['from-start', 'ligr'],
  ['from-start', undefined, true],
  ['from-start', 'ligr', true, 'silu'],
  ['from-start', undefined, false, 'silu-mean'],
  ['from-end', undefined],
  ['from-end', 'ligr', true],
];

test('SASRec: a score after each append equals the full forward (every layout, cpu and wasm); from-start keeps a bounded prefix until the window slides', async () => {
  for (const backend of await backends()) {
    await tf.setBackend(backend);
    for (const [positions, block, relativeBias, attention] of layouts) {
      const fixture = randomSequenceModel({ seed: 7, maxLen: MAX_LEN, numItems: NUM_ITEMS, positions, block, relativeBias, attention });
      const label = `${backend} ${positions} ${block ?? 'sasrec'}${relativeBias ? ' rel' : ''} ${attention ?? 'softmax'}`;
      const kept = await checkAppends(fixture, appendStream(MAX_LEN + 4, 11), label);
      const { dim, blocks } = fixture.manifest.config as { dim: number; blocks: number };
      kept.forEach((bytes, i) => {
        const rows = i + 1;
        const cacheable = positions === 'from-start' && rows < MAX_LEN;
        assert.equal(bytes, cacheable ? blocks * 2 * rows * dim * 4 : 0, `${label}: bytes kept after ${rows} events`);
      });
    }
  }
  await tf.setBackend('cpu');
});

test('SASRec: an edited history, new weights or fine-tuning never reuse what was kept', async () => {
  await tf.setBackend('cpu');
  const fixture = randomSequenceModel({ seed: 8, maxLen: MAX_LEN, numItems: NUM_ITEMS, positions: 'from-start' });
  const other = randomSequenceModel({ seed: 9, maxLen: MAX_LEN, numItems: NUM_ITEMS, positions: 'from-start' });
  const reference = await loadSequenceModel(fixture.manifest, fixture.files);
  const otherReference = await loadSequenceModel(other.manifest, other.files);
  const server = await loadSequenceServer(fixture.manifest, fixture.files);
  const h = Int32Array.from([4, 8, 15, 16, 23]);
  await server.score(h);
  const edited = Int32Array.from([4, 9, 15, 16, 23, 2]);
  assert.ok(maxAbsDiff(reference.score(edited).scores.subarray(1), (await server.score(edited)).scores.subarray(1)) < 1e-4, 'edited');
  const otherWeights = other.files.get((other.manifest.config as { weights: { path: string } }).weights.path)!;
  server.importWeights(otherWeights);
  const appended = Int32Array.from([...edited, 7]);
  assert.ok(
    maxAbsDiff(otherReference.score(appended).scores.subarray(1), (await server.score(appended)).scores.subarray(1)) < 1e-4,
    'import',
  );
  server.resetWeights();
  const longer = Int32Array.from([...appended, 3]);
  assert.ok(maxAbsDiff(reference.score(longer).scores.subarray(1), (await server.score(longer)).scores.subarray(1)) < 1e-4, 'reset');
  // fine-tuning changes the variables in place: taking them drops the prefix
  for (const v of server.variables()) v.assign(tf.mul(v, 1.1));
  const tuned = (await server.score(Int32Array.from([...longer, 5]))).scores;
  const fresh = await loadSequenceServer(fixture.manifest, fixture.files);
  for (const v of fresh.variables()) v.assign(tf.mul(v, 1.1));
  assert.ok(maxAbsDiff((await fresh.score(Int32Array.from([...longer, 5]))).scores, tuned) < 1e-4, 'tuned');
  for (const m of [reference, otherReference, server, fresh]) m.dispose();
});

test('GRU and an ensemble of SASRec, GRU and a transition table: each append scores like the full forward', async () => {
  for (const backend of await backends()) {
    await tf.setBackend(backend);
    const members = [
      randomSequenceModel({ seed: 3, maxLen: MAX_LEN, numItems: NUM_ITEMS, positions: 'from-start' }),
      randomSequenceModel({ seed: 4, maxLen: 6, numItems: NUM_ITEMS }),
      randomSequenceModel({ seed: 5, maxLen: MAX_LEN, numItems: NUM_ITEMS, architecture: 'gru' }),
    ];
    await checkAppends(members[2]!, appendStream(MAX_LEN + 2, 12), `${backend} gru`);
    const train = [appendStream(20, 1), appendStream(20, 2), appendStream(20, 3)];
    const { bytes, pairs } = buildTransitions(train, NUM_ITEMS);
    const { config, files } = composeEnsemble(
      members.map((m, i) => ({ name: `member ${i}`, ...m })),
      { bytes, config: { recent: 4, decay: 0.8, smoothing: 5, weight: 0.7, pairs } },
    );
    const fixture: ModelFixture = {
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
    await checkAppends(fixture, appendStream(MAX_LEN + 2, 13), `${backend} ensemble`);
  }
  await tf.setBackend('cpu');
});

test('a kept prefix is not a leak: repeated appends hold one prefix per server', async () => {
  await tf.setBackend('cpu');
  const fixture = randomSequenceModel({ seed: 10, maxLen: MAX_LEN, numItems: NUM_ITEMS, positions: 'from-start' });
  const server: SequenceServer = await loadSequenceServer(fixture.manifest, fixture.files);
  await server.score(Int32Array.from([1, 2]));
  const before = tf.memory().numTensors;
  for (let n = 3; n < MAX_LEN; n++) await server.score(Int32Array.from({ length: n }, (_, i) => 1 + i));
  assert.equal(tf.memory().numTensors, before);
  server.dispose();
});
