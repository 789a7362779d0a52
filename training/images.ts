/**
 * Image vectors for the CLI: JPEG files decoded in Node (jpeg-js, bundled into
 * the bin) and encoded by the shipped image model (public/models/image) on the
 * CLI's tfjs backend, in batches. A missing or undecodable file leaves a zero
 * row and is reported per item, as the worker does for a failed fetch; it
 * never stops the run.
 */
import { existsSync, readFileSync } from 'node:fs';
import jpeg from 'jpeg-js';
import { loadImageEncoder, type RawImage } from '../workers/models/image/encoder';
import { readModelDir } from './model-dir';

export interface ImageVectors {
  dim: number;
  /** paths.length × dim, row-major; zero rows where there was no usable image. */
  matrix: Float32Array;
  encoded: number;
  failures: Array<{ index: number; path: string; reason: string }>;
}

/** Decodes a JPEG file to RGB pixels, or says why it could not. */
export function readJpeg(path: string): RawImage | string {
  if (!existsSync(path)) return 'file not found';
  try {
    const img = jpeg.decode(readFileSync(path), { useTArray: true, formatAsRGBA: false, maxMemoryUsageInMB: 256 });
    if (img.width === 0 || img.height === 0) return 'empty image';
    return { data: img.data, width: img.width, height: img.height };
  } catch (err) {
    return `not a readable JPEG (${err instanceof Error ? err.message : String(err)})`;
  }
}

/** Encodes the images at `paths` (undefined = item without an image: zero row, not a failure). */
export async function encodeImageFiles(
  modelDir: string,
  paths: ReadonlyArray<string | undefined>,
  onProgress?: (done: number, total: number) => void,
): Promise<ImageVectors> {
  const { manifest, files } = await readModelDir(modelDir, 'image');
  const encoder = await loadImageEncoder(manifest, files);
  const dim = encoder.dim;
  const matrix = new Float32Array(paths.length * dim);
  const failures: ImageVectors['failures'] = [];
  const wanted = paths.flatMap((p, index) => (p === undefined ? [] : [{ index, path: p }]));
  const BATCH = 16;
  let encoded = 0;
  try {
    for (let start = 0; start < wanted.length; start += BATCH) {
      const rows: number[] = [];
      const images: RawImage[] = [];
      for (const { index, path } of wanted.slice(start, start + BATCH)) {
        const img = readJpeg(path);
        if (typeof img === 'string') failures.push({ index, path, reason: img });
        else {
          rows.push(index);
          images.push(img);
        }
      }
      if (images.length > 0) {
        const out = await encoder.encodeAsync(images);
        rows.forEach((row, b) => matrix.set(out.subarray(b * dim, (b + 1) * dim), row * dim));
        encoded += images.length;
      }
      onProgress?.(Math.min(wanted.length, start + BATCH), wanted.length);
    }
  } finally {
    encoder.dispose();
  }
  return { dim, matrix, encoded, failures };
}
