/**
 * Turns a Blob (fetched image bytes) or an ImageBitmap into the raw RGBA
 * pixels the image encoder takes. Browser / worker only: uses
 * createImageBitmap and OffscreenCanvas (not available in Node).
 *
 * A Blob's width and height are read from its header first and checked
 * against LIMITS before anything is decoded; it is then decoded straight at
 * its downscaled size (never upscaled), so its longer side is at most
 * `maxSide` (default 224, the encoder's input size): the encoder's own
 * letterbox resize then has nothing left to do, and far fewer bytes cross
 * into tensors. Aspect ratio is kept. At most LIMITS.imageDecodes images are
 * decoded at once.
 */
import { TastebudError } from '../../../common/errors';
import { LIMITS } from '../../../common/validate';
import type { RawImage } from './encoder';
import { readImageHeader, type ImageHeader } from './header';

export interface ToPixelsOptions {
  /** Longer side of the returned pixels; larger images are downscaled. Default 224. */
  maxSide?: number;
}

/** True where OffscreenCanvas and createImageBitmap exist (browsers, their workers). */
export function canDecodeImages(): boolean {
  return typeof OffscreenCanvas !== 'undefined' && typeof createImageBitmap === 'function';
}

/** The size an image is decoded at: longer side at most `maxSide`, aspect kept, never upscaled. */
export function decodeSize(width: number, height: number, maxSide: number): { width: number; height: number } {
  const scale = Math.min(1, maxSide / Math.max(width, height));
  return { width: Math.max(1, Math.round(width * scale)), height: Math.max(1, Math.round(height * scale)) };
}

/** Throws `invalid-argument` for an image too large to decode (LIMITS.imageSide, LIMITS.imagePixels). */
export function checkImageDimensions(width: number, height: number): void {
  if (width <= 0 || height <= 0) throw new TastebudError('invalid-argument', 'The image is empty (0 pixels).');
  if (width > LIMITS.imageSide || height > LIMITS.imageSide || width * height > LIMITS.imagePixels) {
    throw new TastebudError(
      'invalid-argument',
      `The image is ${width}×${height} pixels; images are decoded only up to ${LIMITS.imageSide} pixels a side and ${LIMITS.imagePixels} pixels in all: serve a smaller poster.`,
    );
  }
}

// A hostile or careless host's images would otherwise all be decoded at once, each at full size.
let decoding = 0;
const waiting: Array<() => void> = [];

async function withDecodeSlot<T>(run: () => Promise<T>): Promise<T> {
  if (decoding < LIMITS.imageDecodes) decoding++;
  else await new Promise<void>((resolve) => waiting.push(resolve));
  try {
    return await run();
  } finally {
    const next = waiting.shift();
    if (next) next();
    else decoding--;
  }
}

const HEADER_BYTES = 65_536;

/** Most headers are in the first 64 KiB; a JPEG's metadata segments can push its frame header further. */
async function headerOf(blob: Blob): Promise<ImageHeader | undefined> {
  const head = readImageHeader(new Uint8Array(await blob.slice(0, HEADER_BYTES).arrayBuffer()));
  if (head || blob.size <= HEADER_BYTES) return head;
  return readImageHeader(new Uint8Array(await blob.arrayBuffer()));
}

function draw(bitmap: ImageBitmap, maxSide: number): RawImage {
  const { width: w0, height: h0 } = bitmap;
  if (w0 <= 0 || h0 <= 0) throw new TastebudError('invalid-argument', 'The image is empty (0 pixels).');
  const { width, height } = decodeSize(w0, h0, maxSide);
  const canvas = new OffscreenCanvas(width, height);
  const ctx = canvas.getContext('2d', { willReadFrequently: true });
  if (!ctx) throw new TastebudError('unsupported', 'OffscreenCanvas 2D context is unavailable.');
  ctx.imageSmoothingEnabled = true;
  ctx.imageSmoothingQuality = 'high';
  ctx.drawImage(bitmap, 0, 0, width, height);
  const { data } = ctx.getImageData(0, 0, width, height);
  return { data, width, height };
}

async function decodeBlob(blob: Blob, maxSide: number): Promise<RawImage> {
  const what = `${blob.type || 'unknown type'}, ${blob.size} bytes`;
  const header = await headerOf(blob);
  if (!header) {
    throw new TastebudError('invalid-argument', `The image could not be decoded: it is not a PNG, JPEG, GIF, WebP, BMP or AVIF (${what}).`);
  }
  checkImageDimensions(header.width, header.height);
  const size = decodeSize(header.width, header.height, maxSide);
  let bitmap: ImageBitmap;
  try {
    bitmap = await createImageBitmap(blob, { resizeWidth: size.width, resizeHeight: size.height, resizeQuality: 'high' });
  } catch (err) {
    throw new TastebudError('invalid-argument', `The image could not be decoded (${what}).`, { cause: err });
  }
  try {
    return draw(bitmap, maxSide);
  } finally {
    bitmap.close();
  }
}

export async function imageToPixels(source: Blob | ImageBitmap, options: ToPixelsOptions = {}): Promise<RawImage> {
  if (!canDecodeImages()) {
    throw new TastebudError('unsupported', 'Decoding images needs OffscreenCanvas and createImageBitmap (a browser or its workers).');
  }
  const maxSide = options.maxSide ?? 224;
  if (typeof Blob !== 'undefined' && source instanceof Blob) return withDecodeSlot(() => decodeBlob(source, maxSide));
  return draw(source as ImageBitmap, maxSide);
}
