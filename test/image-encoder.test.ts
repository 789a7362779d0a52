import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { readModelDir } from '../training/model-dir';
import { after, before, describe, test } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { verifyFile, type ModelManifest } from '../common/model-format/manifest';
import {
  letterboxGeometry,
  loadImageEncoder,
  parseImageConfig,
  preprocessBatch,
  type ImageEncoder,
  type RawImage,
} from '../workers/models/image/encoder';

const DIR = new URL('../public/models/image/', import.meta.url);

function synth(w: number, h: number, f: (x: number, y: number) => [number, number, number]): RawImage {
  const data = new Uint8ClampedArray(w * h * 4);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const [r, g, b] = f(x, y);
      const i = (y * w + x) * 4;
      data[i] = r;
      data[i + 1] = g;
      data[i + 2] = b;
      data[i + 3] = 255;
    }
  }
  return { data, width: w, height: h };
}

function crop(img: RawImage, x0: number, y0: number, w: number, h: number): RawImage {
  const data = new Uint8ClampedArray(w * h * 4);
  for (let y = 0; y < h; y++) {
    const from = ((y + y0) * img.width + x0) * 4;
    data.set(img.data.subarray(from, from + w * 4), y * w * 4);
  }
  return { data, width: w, height: h };
}

/** A landscape: sky gradient, a sun, textured grass. */
const landscape = (x: number, y: number): [number, number, number] => {
  if ((x - 220) ** 2 + (y - 60) ** 2 < 900) return [255, 220, 40];
  if (y < 120) return [80 + y / 2, 140 + y / 3, 230];
  return [40 + ((x * 7 + y * 3) % 30), 140 + ((x + y) % 20), 50];
};
/** Something else entirely: a magenta/black checkerboard. */
const checker = (x: number, y: number): [number, number, number] => (((x >> 4) + (y >> 4)) % 2 ? [200, 30, 160] : [20, 20, 20]);

const cosine = (v: Float32Array, i: number, j: number, dim: number): number => {
  let s = 0;
  for (let d = 0; d < dim; d++) s += v[i * dim + d]! * v[j * dim + d]!;
  return s;
};

describe('letterbox geometry', () => {
  test('keeps the aspect ratio and centres the image', () => {
    const g = letterboxGeometry(300, 200, 224);
    assert.deepEqual([g.width, g.height], [224, 149]);
    assert.equal(g.top + g.height + g.bottom, 224);
    assert.equal(g.left + g.width + g.right, 224);
    assert.ok(Math.abs(g.top - g.bottom) <= 1);
    const p = letterboxGeometry(182, 268, 224); // a typical poster
    assert.equal(p.height, 224);
    assert.ok(Math.abs(p.width / p.height - 182 / 268) < 0.01);
    assert.ok(Math.abs(p.left - p.right) <= 1);
    const s = letterboxGeometry(10, 10, 224); // small images are scaled up
    assert.deepEqual([s.width, s.height, s.top, s.left], [224, 224, 0, 0]);
    const thin = letterboxGeometry(5000, 1, 224);
    assert.deepEqual([thin.width, thin.height], [224, 1]);
  });
});

describe('image encoder (shipped artefact)', () => {
  let enc: ImageEncoder;
  let manifest: ModelManifest;
  let files: Map<string, ArrayBuffer>;

  // MobileNetV2 costs ~1.5 s per image on the plain-JS cpu backend and ~0.15 s
  // on wasm (which loads its .wasm from node_modules in Node), so the model
  // runs on wasm, one of the browser backends, with cpu as the fallback; one
  // test checks that cpu gives the same features.
  let backend = 'cpu';

  before(async () => {
    backend = (await tf.setBackend('wasm').catch(() => false)) ? 'wasm' : 'cpu';
    if (backend === 'cpu') await tf.setBackend('cpu');
    ({ manifest, files } = await readModelDir(fileURLToPath(DIR), 'image'));
    enc = await loadImageEncoder(manifest, files);
  });
  after(() => enc.dispose());

  test('manifest sha256 and sizes match the files', async () => {
    assert.equal(manifest.kind, 'image');
    for (const f of manifest.files) await verifyFile(f, files.get(f.path)!);
    assert.match(readFileSync(new URL('LICENSE', DIR), 'utf8'), /Infinite Red/);
  });

  test('unit-length 1280-d features; crops of one image are closer than an unrelated image; no leak', () => {
    const base = synth(300, 200, landscape);
    const a = crop(base, 0, 0, 260, 180);
    const b = crop(base, 30, 15, 270, 185);
    const other = synth(200, 300, checker);
    const before = tf.memory().numTensors;
    const v = enc.encode([a, b, other]);
    assert.equal(tf.memory().numTensors, before, 'tensor leak');
    assert.equal(enc.dim, 1280);
    assert.equal(v.length, 3 * 1280);
    for (let i = 0; i < 3; i++) assert.ok(Math.abs(Math.sqrt(cosine(v, i, i, enc.dim)) - 1) < 1e-4);
    assert.ok(v.every(Number.isFinite));
    const same = cosine(v, 0, 1, enc.dim);
    assert.ok(
      same > cosine(v, 0, 2, enc.dim) + 0.1 && same > cosine(v, 1, 2, enc.dim) + 0.1,
      `crops ${same.toFixed(3)} vs unrelated ${cosine(v, 0, 2, enc.dim).toFixed(3)}, ${cosine(v, 1, 2, enc.dim).toFixed(3)}`,
    );
  });

  test('the cpu backend (encode) gives the same features as wasm (encodeAsync)', async (t) => {
    if (backend !== 'wasm') {
      t.skip('wasm backend unavailable');
      return;
    }
    const img = crop(synth(300, 200, landscape), 10, 10, 200, 150);
    const onWasm = await enc.encodeAsync([img]);
    await tf.setBackend('cpu');
    try {
      const cpuEnc = await loadImageEncoder(manifest, files);
      const onCpu = cpuEnc.encode([img]);
      cpuEnc.dispose();
      let maxDiff = 0;
      for (let d = 0; d < onCpu.length; d++) maxDiff = Math.max(maxDiff, Math.abs(onCpu[d]! - onWasm[d]!));
      assert.ok(maxDiff < 1e-3, `max |cpu − wasm| = ${maxDiff}`);
    } finally {
      await tf.setBackend('wasm');
    }
  });

  test('preprocessing: RGB equals RGBA, letterbox pads around the resized image, normalised to [0, 1]', () => {
    const cfg = parseImageConfig(manifest);
    const rgba = synth(100, 50, () => [255, 128, 0]);
    const rgb = new Uint8Array(100 * 50 * 3);
    for (let p = 0; p < 100 * 50; p++) for (let c = 0; c < 3; c++) rgb[p * 3 + c] = rgba.data[p * 4 + c]!;
    const before = tf.memory().numTensors;
    const x = preprocessBatch([rgba, { data: rgb, width: 100, height: 50 }], cfg);
    assert.deepEqual(x.shape, [2, 224, 224, 3]);
    const px = x.dataSync() as Float32Array;
    x.dispose();
    assert.equal(tf.memory().numTensors, before, 'tensor leak');
    const half = 224 * 224 * 3;
    assert.deepEqual(px.subarray(0, half), px.subarray(half));
    const g = letterboxGeometry(100, 50, 224); // 224×112, rows 56..167
    assert.equal(g.top, 56);
    const at = (y: number, xx: number): number[] => Array.from(px.subarray((y * 224 + xx) * 3, (y * 224 + xx) * 3 + 3));
    assert.deepEqual(at(0, 0), [0, 0, 0]); // padding
    assert.deepEqual(at(g.top - 1, 100), [0, 0, 0]);
    assert.deepEqual(at(g.top + g.height, 100), [0, 0, 0]);
    for (const [y, xx] of [
      [g.top, 0],
      [112, 112],
      [g.top + g.height - 1, 223],
    ] as const) {
      const [r, gg, b] = at(y, xx);
      assert.ok(
        Math.abs(r! - 1) < 1e-6 && Math.abs(gg! - 128 / 255) < 1e-6 && Math.abs(b!) < 1e-6,
        `pixel ${y},${xx}: ${at(y, xx).join(',')}`,
      );
    }
  });

  test('rejects malformed images without leaking', () => {
    const before = tf.memory().numTensors;
    assert.throws(
      () => enc.encode([{ data: new Uint8ClampedArray(10), width: 4, height: 4 }]),
      (err: Error & { code?: string; field?: string }) => err.code === 'invalid-argument' && err.field === 'images[0].data',
    );
    assert.throws(
      () => enc.encode([{ data: new Uint8ClampedArray(0), width: 0, height: 0 }]),
      (err: Error & { code?: string }) => err.code === 'invalid-argument',
    );
    assert.equal(enc.encode([]).length, 0);
    assert.equal(tf.memory().numTensors, before);
  });
});
