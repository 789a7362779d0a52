/** Item images: sizes read from headers, refused before decoding when too large, decoded at the encoder's size, a few at a time. */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import jpeg from 'jpeg-js';
import { TastebudError } from '../common/errors';
import { LIMITS } from '../common/validate';
import { readImageHeader } from '../workers/models/image/header';
import { checkImageDimensions, decodeSize, imageToPixels } from '../workers/models/image/pixels';
import { letterboxGeometry } from '../workers/models/image/encoder';

const bytes = (...parts: Array<string | number[]>): Uint8Array<ArrayBuffer> =>
  Uint8Array.from(parts.flatMap((p) => (typeof p === 'string' ? [...p].map((c) => c.charCodeAt(0)) : p)));
const u32be = (n: number): number[] => [(n >>> 24) & 255, (n >>> 16) & 255, (n >>> 8) & 255, n & 255];
const u16le = (n: number): number[] => [n & 255, (n >>> 8) & 255];
const u24le = (n: number): number[] => [n & 255, (n >>> 8) & 255, (n >>> 16) & 255];

function png(width: number, height: number): Uint8Array<ArrayBuffer> {
  return bytes('\x89PNG\r\n\x1a\n', u32be(13), 'IHDR', u32be(width), u32be(height), [8, 6, 0, 0, 0], [0, 0, 0, 0]);
}

function jpegOf(width: number, height: number): Uint8Array {
  const data = Buffer.alloc(width * height * 4, 128);
  return new Uint8Array(jpeg.encode({ data, width, height }, 80).data);
}

/** A JPEG with an EXIF APP1 segment (big-endian TIFF) carrying `orientation`, inserted after SOI. */
function withExif(jpg: Uint8Array, orientation: number): Uint8Array {
  const tiff = ['MM', [0, 42], u32be(8), [0, 1], [0x01, 0x12], [0, 3], u32be(1), [0, orientation, 0, 0], u32be(0)];
  const body = bytes('Exif\0\0', ...tiff);
  const length = body.length + 2;
  return bytes([0xff, 0xd8, 0xff, 0xe1, length >> 8, length & 255], [...body], [...jpg.subarray(2)]);
}

describe('image headers', () => {
  test('PNG, GIF, BMP, WebP (lossy, lossless, extended) and AVIF sizes', () => {
    assert.deepEqual(readImageHeader(png(300, 450)), { format: 'png', width: 300, height: 450 });
    assert.deepEqual(readImageHeader(bytes('GIF89a', u16le(640), u16le(480), [0, 0, 0])), { format: 'gif', width: 640, height: 480 });
    const bmp = bytes('BM', new Array<number>(16).fill(0), [...u24le(800), 0], [...u24le(0x1000000 - 600), 0xff]);
    assert.deepEqual(readImageHeader(bmp), { format: 'bmp', width: 800, height: 600 });
    const riff = (chunk: string, payload: number[]) => bytes('RIFF', [0, 0, 0, 0], 'WEBP', chunk, [0, 0, 0, 0], payload);
    assert.deepEqual(readImageHeader(riff('VP8 ', [0, 0, 0, 0x9d, 0x01, 0x2a, ...u16le(1000), ...u16le(1500)])), {
      format: 'webp',
      width: 1000,
      height: 1500,
    });
    const bits = (1200 - 1) | ((900 - 1) << 14);
    assert.deepEqual(readImageHeader(riff('VP8L', [0x2f, bits & 255, (bits >>> 8) & 255, (bits >>> 16) & 255, bits >>> 24])), {
      format: 'webp',
      width: 1200,
      height: 900,
    });
    assert.deepEqual(readImageHeader(riff('VP8X', [0, 0, 0, 0, ...u24le(20_000 - 1), ...u24le(30 - 1)])), {
      format: 'webp',
      width: 20_000,
      height: 30,
    });
    const avif = (rot: number[]) =>
      bytes(u32be(20), 'ftypavif', [0, 0, 0, 0], 'mif1', u32be(20), 'ispe', [0, 0, 0, 0], u32be(4000), u32be(3000), rot);
    assert.deepEqual(readImageHeader(avif([])), { format: 'avif', width: 4000, height: 3000 });
    assert.deepEqual(readImageHeader(avif([...u32be(9), ...bytes('irot'), 1])), { format: 'avif', width: 3000, height: 4000 });
  });

  test('JPEG: the frame header after metadata segments, turned by EXIF orientations 5–8', () => {
    const jpg = jpegOf(40, 24);
    assert.deepEqual(readImageHeader(jpg), { format: 'jpeg', width: 40, height: 24 });
    assert.deepEqual(readImageHeader(withExif(jpg, 1)), { format: 'jpeg', width: 40, height: 24 });
    assert.deepEqual(readImageHeader(withExif(jpg, 6)), { format: 'jpeg', width: 24, height: 40 });
  });

  test('anything else, and truncated headers, have no size', () => {
    assert.equal(readImageHeader(bytes('<!doctype html><html>')), undefined);
    assert.equal(readImageHeader(new Uint8Array([1, 2, 3])), undefined);
    assert.equal(readImageHeader(png(10, 10).subarray(0, 20)), undefined);
    assert.equal(readImageHeader(jpegOf(8, 8).subarray(0, 30)), undefined);
  });
});

describe('decode size', () => {
  test("is the encoder's letterbox size, so the encoder resizes nothing", () => {
    for (const [w, h] of [
      [8192, 4096],
      [1000, 1500],
      [225, 224],
      [3000, 7],
      [224, 224],
    ] as const) {
      const d = decodeSize(w, h, 224);
      assert.equal(Math.max(d.width, d.height), 224);
      const g = letterboxGeometry(d.width, d.height, 224);
      assert.deepEqual([g.width, g.height], [d.width, d.height], `${w}×${h}`);
    }
    assert.deepEqual(decodeSize(100, 50, 224), { width: 100, height: 50 });
  });

  test('dimensions over LIMITS are refused with invalid-argument', () => {
    checkImageDimensions(LIMITS.imageSide, LIMITS.imagePixels / LIMITS.imageSide);
    for (const [w, h] of [
      [LIMITS.imageSide + 1, 10],
      [10, LIMITS.imageSide + 1],
      [LIMITS.imageSide, LIMITS.imagePixels / LIMITS.imageSide + 1],
    ] as const) {
      assert.throws(
        () => checkImageDimensions(w, h),
        (e: unknown) => e instanceof TastebudError && e.code === 'invalid-argument' && /serve a smaller poster/.test(e.message),
      );
    }
  });
});

describe('imageToPixels (createImageBitmap and OffscreenCanvas stubbed)', () => {
  const g = globalThis as unknown as Record<string, unknown>;
  const calls: Array<{ options: ImageBitmapOptions | undefined }> = [];
  let inFlight = 0;
  let maxInFlight = 0;
  before(() => {
    g.OffscreenCanvas = class {
      constructor(
        readonly width: number,
        readonly height: number,
      ) {}
      getContext() {
        return {
          drawImage: () => undefined,
          getImageData: (_x: number, _y: number, w: number, h: number) => ({ data: new Uint8ClampedArray(w * h * 4) }),
        };
      }
    };
    g.createImageBitmap = async (_blob: Blob, options?: ImageBitmapOptions) => {
      calls.push({ options });
      inFlight++;
      maxInFlight = Math.max(maxInFlight, inFlight);
      await new Promise((resolve) => setTimeout(resolve, 5));
      inFlight--;
      return { width: options?.resizeWidth ?? 1, height: options?.resizeHeight ?? 1, close: () => undefined };
    };
  });
  after(() => {
    delete g.OffscreenCanvas;
    delete g.createImageBitmap;
  });

  test('an image over the size limit is refused before it is decoded', async () => {
    calls.length = 0;
    await assert.rejects(
      imageToPixels(new Blob([png(LIMITS.imageSide + 1, 100)], { type: 'image/png' })),
      (e: unknown) => e instanceof TastebudError && e.code === 'invalid-argument' && /8193×100 pixels/.test(e.message),
    );
    await assert.rejects(
      imageToPixels(new Blob(['<html>'], { type: 'text/html' })),
      (e: unknown) => e instanceof TastebudError && /could not be decoded: it is not a PNG/.test(e.message),
    );
    assert.equal(calls.length, 0);
  });

  test("a large poster is decoded straight at the encoder's size, aspect kept", async () => {
    calls.length = 0;
    const out = await imageToPixels(new Blob([png(2000, 3000)], { type: 'image/png' }));
    assert.deepEqual(calls[0]!.options, { resizeWidth: 149, resizeHeight: 224, resizeQuality: 'high' });
    assert.deepEqual([out.width, out.height, out.data.length], [149, 224, 149 * 224 * 4]);
  });

  test(`at most ${LIMITS.imageDecodes} images are decoded at once`, async () => {
    calls.length = 0;
    maxInFlight = 0;
    const all = Array.from({ length: 3 * LIMITS.imageDecodes + 1 }, () => imageToPixels(new Blob([png(500, 500)])));
    const out = await Promise.all(all);
    assert.equal(out.length, calls.length);
    assert.equal(maxInFlight, LIMITS.imageDecodes);
  });
});
