/**
 * Adapts the text and image models to the ContentEncoder interface (what to
 * read, how to batch). The key and size come from the model's manifest alone:
 * the model itself is loaded only when there is something to encode.
 */
import { TastebudError } from '../../common/errors';
import { encoderKey } from '../../common/model-format/item-vectors';
import type { ModelManifest } from '../../common/model-format/manifest';
import type { ItemRecord } from '../storage/db';
import type { ContentEncoder } from './vectors';
import type { TextEncoder } from '../models/text/encoder';
import type { ImageEncoder, RawImage } from '../models/image/encoder';
import { canDecodeImages, imageToPixels } from '../models/image/pixels';
import { LIMITS } from '../../common/validate';
import { readLimited } from '../models/loader';

/** What the text model reads of an item. */
export const textSource = (item: ItemRecord): string | undefined => (item.text && item.text.trim().length > 0 ? item.text : undefined);

function manifestDim(manifest: ModelManifest): number {
  const dim = manifest.config.dim;
  if (typeof dim !== 'number' || !Number.isInteger(dim) || dim <= 0)
    throw new TastebudError('model-load', `The ${manifest.kind} model's manifest has no valid config.dim.`, { field: 'config.dim' });
  return dim;
}

/** The model behind `manifest`, loaded on first use; a different version than the manifest's is refused (its vectors would be keyed wrongly). */
async function modelFor<M extends { manifest: ModelManifest }>(manifest: ModelManifest, load: () => Promise<M | undefined>): Promise<M> {
  const model = await load();
  if (!model) throw new TastebudError('model-load', `The ${manifest.kind} model did not load; see info().models for why.`);
  if (model.manifest.version !== manifest.version)
    throw new TastebudError(
      'model-load',
      `The ${manifest.kind} model in use is version ${model.manifest.version}, its manifest now says ${manifest.version}; reload the page.`,
    );
  return model;
}

export function textContentEncoder(manifest: ModelManifest, load: () => Promise<TextEncoder | undefined>): ContentEncoder {
  return {
    key: encoderKey('text', manifest.name, manifest.version),
    dim: manifestDim(manifest),
    batchSize: 256,
    source: textSource,
    async encode(inputs) {
      const model = await modelFor(manifest, load);
      return { vectors: await model.encodeAsync(inputs as string[]), failures: new Map() };
    },
  };
}

async function fetchImage(url: string): Promise<Blob> {
  let response: Response;
  try {
    response = await fetch(url, { mode: 'cors', credentials: 'omit' });
  } catch (err) {
    throw new Error(`could not fetch ${url} (offline, or blocked by CORS?): ${err instanceof Error ? err.message : String(err)}`);
  }
  if (!response.ok) throw new Error(`fetching ${url} failed with HTTP ${response.status}`);
  const bytes = await readLimited(response, LIMITS.imageBytes, `The image at ${url}`, 'invalid-argument');
  return new Blob([bytes], { type: response.headers.get('content-type') ?? '' });
}

function checkImageSize(blob: Blob): Blob {
  if (blob.size > LIMITS.imageBytes) throw new Error(`the image is ${blob.size} bytes, more than the ${LIMITS.imageBytes} allowed`);
  return blob;
}

export function imageContentEncoder(
  manifest: ModelManifest,
  load: () => Promise<ImageEncoder | undefined>,
  baseUrl: string | undefined,
): ContentEncoder {
  return {
    key: encoderKey('image', manifest.name, manifest.version),
    dim: manifestDim(manifest),
    // One poster per slice: an interactive call waits for at most one (workers/priority.ts); larger batches encode no faster here.
    batchSize: 1,
    source: (item: ItemRecord) => (canDecodeImages() ? item.image : undefined),
    async encode(inputs) {
      const model = await modelFor(manifest, load);
      const failures = new Map<number, string>();
      const pixels: RawImage[] = [];
      // A failed or blocked image is reported for that item and never aborts the batch.
      await Promise.all(
        inputs.map(async (input, i) => {
          try {
            const blob = typeof input === 'string' ? await fetchImage(new URL(input, baseUrl).href) : checkImageSize(input);
            pixels[i] = await imageToPixels(blob);
          } catch (err) {
            failures.set(i, err instanceof Error ? err.message : String(err));
          }
        }),
      );
      const ok = pixels.map((p, i) => (p ? i : -1)).filter((i) => i >= 0);
      const vectors = new Float32Array(inputs.length * model.dim);
      if (ok.length > 0) {
        const encoded = await model.encodeAsync(ok.map((i) => pixels[i]!));
        ok.forEach((slot, j) => vectors.set(encoded.subarray(j * model.dim, (j + 1) * model.dim), slot * model.dim));
      }
      return { vectors, failures };
    },
  };
}
