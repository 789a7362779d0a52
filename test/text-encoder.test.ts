import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { readModelDir } from '../training/model-dir';
import { after, before, describe, test } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { sha256Hex, verifyFile, type ModelManifest } from '../common/model-format/manifest';
import { loadTextEncoder, type TextEncoder } from '../workers/models/text/encoder';
import { foldDiacritics, resolveToken, tokenize } from '../workers/models/text/tokenizer';

const DIR = new URL('../public/models/text/', import.meta.url);

function cosine(a: Float32Array, i: number, b: Float32Array, j: number, dim: number): number {
  let s = 0;
  for (let d = 0; d < dim; d++) s += a[i * dim + d]! * b[j * dim + d]!;
  return s;
}

function rowNorm(a: Float32Array, i: number, dim: number): number {
  return Math.sqrt(cosine(a, i, a, i, dim));
}

describe('text tokenizer', () => {
  test('lower-cases and splits on punctuation and whitespace', () => {
    assert.deepEqual(tokenize('Hello, World! (1995)  Action|Sci-Fi'), ['hello', 'world', '1995', 'action', 'sci-fi']);
    assert.deepEqual(tokenize(''), []);
    assert.deepEqual(tokenize('  ...!?  '), []);
  });

  test('handles English clitics the way GloVe was tokenized', () => {
    assert.deepEqual(tokenize("Don't stop"), ['do', 'not', 'stop']);
    assert.deepEqual(tokenize("can't won't"), ['can', 'not', 'will', 'not']);
    assert.deepEqual(tokenize("Children's we're I'll they've"), ['children', 'we', 'are', 'i', 'will', 'they', 'have']);
    assert.deepEqual(tokenize('It’s O’Neill’s'), ['it', "o'neill"]);
  });

  test('keeps numbers with inner separators together', () => {
    assert.deepEqual(tokenize('3.5 stars, 1,000 votes. End.'), ['3.5', 'stars', '1,000', 'votes', 'end']);
    assert.deepEqual(tokenize('the 1990s'), ['the', '1990s']);
  });

  test('is unicode-aware', () => {
    assert.deepEqual(tokenize('Amélie — Le Fabuleux Destin'), ['amélie', 'le', 'fabuleux', 'destin']);
    assert.deepEqual(tokenize('Крёстный отец'), ['крёстный', 'отец']);
    assert.deepEqual(tokenize('千と千尋の神隠し 🎬'), ['千と千尋の神隠し']);
    assert.deepEqual(tokenize('ＦＵＬＬＷＩＤＴＨ'), ['fullwidth']);
    assert.equal(foldDiacritics('amélie naïve'), 'amelie naive');
  });

  test('resolveToken falls back to folded, joined and split forms', () => {
    const vocab = new Map([
      ['amelie', 0],
      ['oneill', 1],
      ['space', 2],
      ['opera', 3],
      ['sci-fi', 4],
    ]);
    const look = (w: string): number | undefined => vocab.get(w);
    assert.deepEqual(resolveToken('sci-fi', look), [4]);
    assert.deepEqual(resolveToken('amélie', look), [0]);
    assert.deepEqual(resolveToken("o'neill", look), [1]);
    assert.deepEqual(resolveToken('space-opera', look), [2, 3]);
    assert.deepEqual(resolveToken('zzz', look), []);
  });
});

describe('text encoder (shipped artefact)', () => {
  let enc: TextEncoder;
  let manifest: ModelManifest;
  let files: Map<string, ArrayBuffer>;

  before(async () => {
    await tf.setBackend('cpu');
    ({ manifest, files } = await readModelDir(fileURLToPath(DIR), 'text'));
    enc = await loadTextEncoder(manifest, files);
  });
  after(() => enc.dispose());

  test('manifest sha256 and sizes match the files', async () => {
    assert.equal(manifest.kind, 'text');
    for (const f of manifest.files) {
      const bytes = files.get(f.path)!;
      await verifyFile(f, bytes);
      assert.equal(await sha256Hex(bytes), f.sha256);
    }
    const total = manifest.files.reduce((a, f) => a + f.bytes, 0);
    assert.ok(total <= 8 * 1024 * 1024, `artefact is ${total} bytes`);
    assert.match(readFileSync(new URL('NOTICE', DIR), 'utf8'), /PDDL/);
    assert.match(readFileSync(new URL('LICENSE', DIR), 'utf8'), /MIT License/);
  });

  test('rows are unit length; empty and unknown texts give zero rows', () => {
    const texts = ['space alien ship', '', 'zzqx qqzv', '!!!', 'The Godfather (1972) Action|Crime|Drama'];
    const v = enc.encode(texts);
    assert.equal(v.length, texts.length * enc.dim);
    assert.equal(enc.dim, 100);
    assert.ok(Math.abs(rowNorm(v, 0, enc.dim) - 1) < 1e-4);
    assert.equal(rowNorm(v, 1, enc.dim), 0);
    assert.equal(rowNorm(v, 2, enc.dim), 0);
    assert.equal(rowNorm(v, 3, enc.dim), 0);
    assert.ok(Math.abs(rowNorm(v, 4, enc.dim) - 1) < 1e-4);
    assert.equal(enc.encode([]).length, 0);
  });

  test('semantic sanity', () => {
    const texts = [
      'space alien ship',
      'astronaut spacecraft',
      'romantic wedding comedy',
      'Four Weddings and a Funeral (1994) Comedy|Romance',
      'Alien (1979) Action|Horror|Sci-Fi|Thriller',
      'Aliens (1986) Action|Sci-Fi|Thriller|War',
      "Toy Story (1995) Animation|Children's|Comedy",
    ];
    const v = enc.encode(texts);
    const c = (i: number, j: number): number => cosine(v, i, v, j, enc.dim);
    assert.ok(c(0, 1) > c(0, 2) + 0.2, `space/astronaut ${c(0, 1)} vs space/wedding ${c(0, 2)}`);
    assert.ok(c(2, 3) > c(2, 4), 'wedding comedy is closer to Four Weddings than to Alien');
    assert.ok(c(4, 5) > c(4, 3), 'Alien is closer to Aliens than to Four Weddings');
    assert.ok(c(4, 5) > c(4, 6), 'Alien is closer to Aliens than to Toy Story');
  });

  test('deterministic, and independent of batch composition and chunking', () => {
    const text = 'A lonely detective hunts a killer through a rainy city';
    const alone = enc.encode([text]);
    const again = enc.encode([text]);
    assert.deepEqual(again, alone);
    const filler = Array.from({ length: 140 }, (_, i) => `filler text number ${i} with some extra words about ships and weddings`);
    const batch = enc.encode([...filler, text]);
    for (let d = 0; d < enc.dim; d++) assert.ok(Math.abs(batch[140 * enc.dim + d]! - alone[d]!) < 1e-5);
  });

  test('encodeAsync equals encode', async () => {
    const texts = ['Heat (1995) Action|Crime|Thriller', '', 'a quiet drama about a family farm'];
    const before = tf.memory().numTensors;
    assert.deepEqual(await enc.encodeAsync(texts), enc.encode(texts));
    assert.equal(tf.memory().numTensors, before);
  });

  test('no tensor leak', () => {
    enc.encode(['warm up']);
    const before = tf.memory().numTensors;
    enc.encode(['one text', 'another text about music', '']);
    enc.encode([]);
    assert.equal(tf.memory().numTensors, before);
  });

  test('dispose frees the tables and later calls fail', async () => {
    const before = tf.memory().numTensors;
    const e2 = await loadTextEncoder(manifest, files);
    assert.ok(tf.memory().numTensors > before);
    e2.dispose();
    assert.equal(tf.memory().numTensors, before);
    assert.throws(
      () => e2.encode(['x']),
      (err: Error & { code?: string }) => err.code === 'disposed',
    );
  });

  test('rejects a manifest of the wrong kind or a missing file', async () => {
    await assert.rejects(
      loadTextEncoder({ ...manifest, kind: 'image' }, files),
      (err: Error & { code?: string }) => err.code === 'model-load',
    );
    const partial = new Map(files);
    partial.delete('vectors.i8');
    await assert.rejects(loadTextEncoder(manifest, partial), (err: Error & { code?: string }) => err.code === 'model-load');
  });
});
