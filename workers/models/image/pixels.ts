/**
 * Turns a Blob (fetched image bytes) or an ImageBitmap into the raw RGBA
 * pixels the image encoder takes. Browser / worker only: uses
 * createImageBitmap and OffscreenCanvas (not available in Node).
 *
 * The image is downscaled (never upscaled) on the canvas so its longer side is
 * at most `maxSide` (default 224, the encoder's input size): the encoder's own
 * letterbox resize then has nothing left to do, and far fewer bytes cross into
 * tensors. Aspect ratio is kept.
 */
import { TastebudError } from '../../../common/errors';
import type { RawImage } from './encoder';

export interface ToPixelsOptions {
  /** Longer side of the returned pixels; larger images are downscaled. Default 224. */
  maxSide?: number;
}

/** True where OffscreenCanvas and createImageBitmap exist (browsers, their workers). */
export function canDecodeImages(): boolean {
  return typeof OffscreenCanvas !== 'undefined' && typeof createImageBitmap === 'function';
}

export async function imageToPixels(source: Blob | ImageBitmap, options: ToPixelsOptions = {}): Promise<RawImage> {
  if (!canDecodeImages()) {
    throw new TastebudError('unsupported', 'Decoding images needs OffscreenCanvas and createImageBitmap (a browser or its workers).');
  }
  const maxSide = options.maxSide ?? 224;
  let bitmap: ImageBitmap;
  let owned = false;
  if (typeof Blob !== 'undefined' && source instanceof Blob) {
    try {
      bitmap = await createImageBitmap(source);
    } catch (err) {
      throw new TastebudError(
        'invalid-argument',
        `The image could not be decoded (${source.type || 'unknown type'}, ${source.size} bytes).`,
        { cause: err },
      );
    }
    owned = true;
  } else {
    bitmap = source as ImageBitmap;
  }
  try {
    const { width: w0, height: h0 } = bitmap;
    if (w0 <= 0 || h0 <= 0) throw new TastebudError('invalid-argument', 'The image is empty (0 pixels).');
    const scale = Math.min(1, maxSide / Math.max(w0, h0));
    const width = Math.max(1, Math.round(w0 * scale));
    const height = Math.max(1, Math.round(h0 * scale));
    const canvas = new OffscreenCanvas(width, height);
    const ctx = canvas.getContext('2d', { willReadFrequently: true });
    if (!ctx) throw new TastebudError('unsupported', 'OffscreenCanvas 2D context is unavailable.');
    ctx.imageSmoothingEnabled = true;
    ctx.imageSmoothingQuality = 'high';
    ctx.drawImage(bitmap, 0, 0, width, height);
    const { data } = ctx.getImageData(0, 0, width, height);
    return { data, width, height };
  } finally {
    if (owned) bitmap.close();
  }
}
