/**
 * Writes a small synthetic SASRec model (deterministic weights, no training, no
 * MovieLens) into the e2e harness, in both position layouts (tiny-sasrec and
 * tiny-sasrec-start) and with LiGR blocks and a relative attention bias (tiny-sasrec-ligr), plus golden scores computed here in Node on
 * tfjs's cpu backend, and an ensemble of those three (tiny-ensemble, as
 * `tastebud ensemble` writes it; tiny-ensemble-transitions adds a transition
 * table counted on synthetic sequences). The browser tests load them on every backend
 * and must match the golden scores (max abs diff ≤ 1e-3).
 *   node --import tsx e2e/make-fixture-model.ts
 */
import * as tf from '@tensorflow/tfjs';
import { cpSync, mkdirSync, rmSync, writeFileSync, copyFileSync } from 'node:fs';
import { join } from 'node:path';
import { writeModelDir, writeSequenceModelDir } from '../training/model-dir';
import { composeEnsemble, ENSEMBLE_NAME } from '../common/model-format/ensemble';
import { buildTransitions } from '../common/model-format/transitions';
import { VOCAB_FILE, WEIGHTS_FILE } from '../common/model-format/sequence';
import { type BlockLayout, type PositionOrigin, sasrecParamShapes, type SasrecConfig } from '../workers/models/sequence/sasrec';
import { loadSequenceModel } from '../training/sequence/trained-model';
import { readModelDir } from '../training/model-dir';
import { mulberry32 } from '../common/random';

const out = join(import.meta.dirname, 'harness/public/models/tiny-sasrec');
const NUM_ITEMS = 60;
export const FIXTURE_HISTORY = ['m3', 'm17', 'm42', 'm8', 'm25'];

const random = mulberry32;

/** Writes one synthetic model directory and its golden scores; the same seed gives the same weights for both position layouts. */
async function writeFixture(
  dir: string,
  positions: PositionOrigin,
  block: BlockLayout = 'sasrec',
  relativeBias = false,
): Promise<Map<string, ArrayBuffer>> {
  const config: SasrecConfig = {
    architecture: 'sasrec',
    numItems: NUM_ITEMS,
    dim: 16,
    maxLen: 20,
    blocks: 2,
    heads: 2,
    dropout: 0,
    ...(positions === 'from-start' ? { positions } : {}),
    ...(block === 'ligr' ? { block, ffMultiplier: 2 } : {}),
    ...(relativeBias ? { relativeBias } : {}),
  };
  const rand = random(7);
  const tensors = sasrecParamShapes(config).map(([name, shape]) => {
    const n = shape.reduce((a, b) => a * b, 1);
    const data = new Float32Array(n);
    const isGamma = name.endsWith('gamma');
    const isBias = /\.(b[a-z0-9]*|beta)$/.test(name);
    for (let i = 0; i < n; i++) data[i] = isGamma ? 1 + (rand() - 0.5) * 0.2 : (rand() * 2 - 1) * (isBias ? 0.1 : 0.6);
    return { name, shape, data };
  });
  const vocab = Array.from({ length: NUM_ITEMS }, (_, i) => `m${i + 1}`);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  writeSequenceModelDir(dir, config, tensors, vocab, { note: 'synthetic e2e fixture: random weights, not trained' });
  return writeGolden(dir);
}

/** golden.json: the model's scores of FIXTURE_HISTORY relative to the best item, and its contributions. */
async function writeGolden(dir: string): Promise<Map<string, ArrayBuffer>> {
  const { manifest, files } = await readModelDir(dir);
  const model = await loadSequenceModel(manifest, files);
  const vocab = model.itemIds;
  const history = Int32Array.from(FIXTURE_HISTORY.map((id) => vocab.indexOf(id) + 1));
  const { scores, contributions } = model.score(history);
  model.dispose();
  let max = -Infinity;
  for (let m = 1; m <= NUM_ITEMS; m++) max = Math.max(max, scores[m]!);
  const relative = vocab.map((id, i) => ({ itemId: id, score: Math.exp(scores[i + 1]! - max) }));
  writeFileSync(
    join(dir, 'golden.json'),
    JSON.stringify({ history: FIXTURE_HISTORY, relative, contributions: [...contributions] }, null, 2),
  );
  return files;
}

/** Synthetic training sequences over the fixture's items: mostly steps of +1 or +7, so the table has strong rows. */
function syntheticSequences(): Int32Array[] {
  const rand = random(11);
  return Array.from({ length: 40 }, () => {
    let item = 1 + Math.floor(rand() * NUM_ITEMS);
    return Int32Array.from({ length: 12 }, () => {
      const now = item;
      item = ((item - 1 + (rand() < 0.7 ? 1 : 7)) % NUM_ITEMS) + 1;
      return now;
    });
  });
}

async function writeEnsembleFixture(dir: string, memberDirs: readonly string[], withTransitions = false): Promise<void> {
  const members = [];
  for (const d of memberDirs) members.push({ name: d, ...(await readModelDir(d)) });
  const table = withTransitions ? buildTransitions(syntheticSequences(), NUM_ITEMS) : undefined;
  const transitions = table
    ? { bytes: table.bytes, config: { pairs: table.pairs, recent: 3, decay: 0.8, smoothing: 2, weight: 0.7 } }
    : undefined;
  const { config, files } = composeEnsemble(members, transitions);
  rmSync(dir, { recursive: true, force: true });
  writeModelDir(dir, files, {
    kind: 'sequence',
    name: ENSEMBLE_NAME,
    config: { ...config },
    metadata: { note: 'synthetic e2e fixture: an ensemble of the three tiny models' },
  });
  await writeGolden(dir);
}

async function main(): Promise<void> {
  await tf.setBackend('cpu');
  const files = await writeFixture(out, 'from-end');
  // the same weights with position embeddings counted from the first item (train --positions start)
  await writeFixture(join(out, '..', 'tiny-sasrec-start'), 'from-start');
  // eSASRec's LiGR blocks (train --block ligr): gated residuals and a SwiGLU feed-forward; and a
  // learned attention bias per head and query-key distance (train --relative-bias)
  await writeFixture(join(out, '..', 'tiny-sasrec-ligr'), 'from-start', 'ligr', true);
  // the three as one ensemble (tastebud ensemble): mean of their log-softmax scores
  await writeEnsembleFixture(
    join(out, '..', 'tiny-ensemble'),
    ['tiny-sasrec', 'tiny-sasrec-start', 'tiny-sasrec-ligr'].map((d) => join(out, '..', d)),
  );
  // the same ensemble plus an item-transition table (tastebud ensemble --transitions)
  await writeEnsembleFixture(
    join(out, '..', 'tiny-ensemble-transitions'),
    ['tiny-sasrec', 'tiny-sasrec-start', 'tiny-sasrec-ligr'].map((d) => join(out, '..', d)),
    true,
  );
  // A tampered copy for the integrity test: same manifest, one flipped byte.
  const tampered = join(out, '..', 'tampered-sasrec');
  rmSync(tampered, { recursive: true, force: true });
  mkdirSync(tampered, { recursive: true });
  for (const f of ['manifest.json', VOCAB_FILE]) copyFileSync(join(out, f), join(tampered, f));
  const flipped = new Uint8Array(files.get(WEIGHTS_FILE)!.slice(0));
  flipped[100] = flipped[100]! ^ 0xff;
  writeFileSync(join(tampered, WEIGHTS_FILE), flipped);
  // The shipped text and image models, served by the harness like a site would.
  for (const kind of ['text', 'image'])
    cpSync(join(import.meta.dirname, '..', 'public/models', kind), join(out, '..', kind), { recursive: true });
  console.log(`wrote ${out} (${flipped.byteLength} weight bytes) and golden scores`);
}

await main();
