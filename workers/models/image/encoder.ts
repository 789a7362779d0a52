/**
 * Image encoder: the MobileNetV2 of nsfwjs cut at its global-average-pooled
 * 1280-d features (built by scripts/build-image-model.ts into
 * public/models/image/), used as a generic visual feature extractor.
 *
 * Per image: RGBA (or RGB) pixels → RGB float × 1/255 (nsfwjs's
 * normalisation) → bilinear resize (alignCorners, as nsfwjs) keeping the
 * aspect ratio so the longer side is 224 → centred padding to 224×224
 * (letterbox) → batch inference → L2 normalisation. All tensor work runs in
 * tf.tidy, in chunks. The caller fetches and
 * sha256-verifies the files. Decoding a Blob / ImageBitmap into pixels lives
 * in ./pixels.ts (OffscreenCanvas, browser only).
 */
import * as tf from '@tensorflow/tfjs';
import { TastebudError } from '../../../common/errors';
import type { ModelManifest } from '../../../common/model-format/manifest';

export interface RawImage {
  /** Row-major pixels, 4 bytes (RGBA) or 3 bytes (RGB) per pixel. Alpha is ignored. */
  data: Uint8ClampedArray | Uint8Array;
  width: number;
  height: number;
}

export interface ImageEncoder {
  readonly manifest: ModelManifest;
  readonly dim: number;
  /** images.length × dim, row-major, L2-normalised. */
  encode(images: RawImage[]): Float32Array;
  /** Same as `encode`, reading results back asynchronously (no GPU stall on WebGL/WebGPU). */
  encodeAsync(images: RawImage[]): Promise<Float32Array>;
  dispose(): void;
}

export interface ImageModelConfig {
  modelJson: string;
  weights: string[];
  inputSize: number;
  dim: number;
  normalization: { scale: number; offset: number };
  resize: { alignCorners: boolean; padValue: number };
}

/** Images per forward pass. */
const CHUNK = 16;

export interface LetterboxGeometry {
  /** Size of the resized image inside the square. */
  width: number;
  height: number;
  /** Padding before/after on each axis; top + height + bottom = left + width + right = size. */
  top: number;
  bottom: number;
  left: number;
  right: number;
}

/** Where a width×height image lands in a size×size letterbox (aspect kept, centred). */
export function letterboxGeometry(width: number, height: number, size: number): LetterboxGeometry {
  const scale = size / Math.max(width, height);
  const w = Math.max(1, Math.min(size, Math.round(width * scale)));
  const h = Math.max(1, Math.min(size, Math.round(height * scale)));
  const left = Math.floor((size - w) / 2);
  const top = Math.floor((size - h) / 2);
  return { width: w, height: h, top, bottom: size - h - top, left, right: size - w - left };
}

function bad(message: string, field: string): never {
  throw new TastebudError('model-load', `Invalid image model: ${message}`, { field });
}

export function parseImageConfig(manifest: ModelManifest): ImageModelConfig {
  if (manifest.kind !== 'image') bad(`expected kind "image", got "${manifest.kind}"`, 'kind');
  const c = manifest.config;
  if (c.format !== 'layers-model') bad(`format "${String(c.format)}" is not supported`, 'config.format');
  const listed = (p: unknown): p is string => typeof p === 'string' && manifest.files.some((f) => f.path === p);
  if (!listed(c.modelJson)) bad('modelJson must name a file listed in the manifest', 'config.modelJson');
  if (!Array.isArray(c.weights) || c.weights.length === 0 || !c.weights.every(listed))
    bad('weights must list manifest files', 'config.weights');
  const int = (v: unknown, f: string): number => {
    if (typeof v !== 'number' || !Number.isInteger(v) || v <= 0) bad(`${f} must be a positive integer`, `config.${f}`);
    return v;
  };
  const norm = c.normalization as { scale?: unknown; offset?: unknown } | undefined;
  if (typeof norm?.scale !== 'number' || typeof norm.offset !== 'number')
    bad('normalization needs numeric scale and offset', 'config.normalization');
  const resize = (c.resize ?? {}) as { alignCorners?: unknown; padValue?: unknown };
  return {
    modelJson: c.modelJson,
    weights: c.weights as string[],
    inputSize: int(c.inputSize, 'inputSize'),
    dim: int(c.dim, 'dim'),
    normalization: { scale: norm.scale, offset: norm.offset },
    resize: {
      alignCorners: resize.alignCorners !== false,
      padValue: typeof resize.padValue === 'number' ? resize.padValue : 0,
    },
  };
}

function checkImage(img: RawImage, i: number): 3 | 4 {
  const field = `images[${i}]`;
  if (typeof img !== 'object' || img === null)
    throw new TastebudError('invalid-argument', `${field} must be { data, width, height }.`, { field });
  const { data, width, height } = img;
  if (!Number.isInteger(width) || !Number.isInteger(height) || width <= 0 || height <= 0) {
    throw new TastebudError('invalid-argument', `${field} has invalid size ${String(width)}×${String(height)}.`, { field });
  }
  if (!(data instanceof Uint8ClampedArray || data instanceof Uint8Array)) {
    throw new TastebudError('invalid-argument', `${field}.data must be a Uint8ClampedArray or Uint8Array.`, { field: `${field}.data` });
  }
  if (data.length === width * height * 4) return 4;
  if (data.length === width * height * 3) return 3;
  throw new TastebudError(
    'invalid-argument',
    `${field}.data has ${data.length} bytes; ${width}×${height} needs ${width * height * 4} (RGBA) or ${width * height * 3} (RGB).`,
    { field: `${field}.data` },
  );
}

/** One image → [size, size, 3] normalised, letterboxed tensor (call inside tidy). */
function preprocessOne(img: RawImage, channels: 3 | 4, cfg: ImageModelConfig): tf.Tensor3D {
  const { inputSize: S, normalization, resize } = cfg;
  const g = letterboxGeometry(img.width, img.height, S);
  const ints = new Int32Array(img.data.length);
  ints.set(img.data);
  let x: tf.Tensor3D = tf.tensor3d(ints, [img.height, img.width, channels], 'int32');
  if (channels === 4) x = tf.slice(x, [0, 0, 0], [img.height, img.width, 3]);
  let f = tf.add(tf.mul(tf.cast(x, 'float32'), normalization.scale), normalization.offset) as tf.Tensor3D;
  if (g.width !== img.width || g.height !== img.height) {
    f = tf.image.resizeBilinear(f, [g.height, g.width], resize.alignCorners);
  }
  if (g.top + g.bottom + g.left + g.right > 0) {
    f = tf.pad(
      f,
      [
        [g.top, g.bottom],
        [g.left, g.right],
        [0, 0],
      ],
      resize.padValue,
    );
  }
  return f;
}

/**
 * The model input for a batch: [n, size, size, 3] float32, normalised and
 * letterboxed. Exposed for tests; wrap in tf.tidy or dispose the result.
 */
export function preprocessBatch(images: RawImage[], cfg: ImageModelConfig, channels?: Array<3 | 4>): tf.Tensor4D {
  const ch = channels ?? images.map(checkImage);
  return tf.tidy(() => tf.stack(images.map((img, i) => preprocessOne(img, ch[i]!, cfg))) as tf.Tensor4D);
}

class MobileNetImageEncoder implements ImageEncoder {
  readonly dim: number;
  private model: tf.LayersModel | null;

  constructor(
    readonly manifest: ModelManifest,
    private readonly cfg: ImageModelConfig,
    model: tf.LayersModel,
  ) {
    this.dim = cfg.dim;
    this.model = model;
  }

  private check(images: RawImage[]): Array<3 | 4> {
    if (!this.model) throw new TastebudError('disposed', 'This image encoder has been disposed.');
    if (!Array.isArray(images)) throw new TastebudError('invalid-argument', 'encode() takes an array of images.', { field: 'images' });
    return images.map(checkImage);
  }

  /** L2-normalised features of images[start, end) as a tensor. */
  private chunkTensor(images: RawImage[], channels: Array<3 | 4>, start: number, end: number): tf.Tensor2D {
    const model = this.model!;
    return tf.tidy(() => {
      const y = model.predict(preprocessBatch(images.slice(start, end), this.cfg, channels.slice(start, end))) as tf.Tensor;
      const feats = tf.reshape(y, [end - start, this.dim]);
      const norm = tf.sqrt(tf.sum(tf.square(feats), 1, true));
      return tf.div(feats, tf.maximum(norm, 1e-12)) as tf.Tensor2D;
    });
  }

  encode(images: RawImage[]): Float32Array {
    const channels = this.check(images);
    const out = new Float32Array(images.length * this.dim);
    for (let start = 0; start < images.length; start += CHUNK) {
      const result = this.chunkTensor(images, channels, start, Math.min(images.length, start + CHUNK));
      try {
        out.set(result.dataSync() as Float32Array, start * this.dim);
      } finally {
        result.dispose();
      }
    }
    return out;
  }

  async encodeAsync(images: RawImage[]): Promise<Float32Array> {
    const channels = this.check(images);
    const out = new Float32Array(images.length * this.dim);
    for (let start = 0; start < images.length; start += CHUNK) {
      if (!this.model) throw new TastebudError('disposed', 'This image encoder was disposed during encoding.');
      const result = this.chunkTensor(images, channels, start, Math.min(images.length, start + CHUNK));
      try {
        out.set((await result.data()) as Float32Array, start * this.dim);
      } finally {
        result.dispose();
      }
    }
    return out;
  }

  dispose(): void {
    this.model?.dispose();
    this.model = null;
  }
}

/** Loads the image encoder from an already sha256-verified model directory (path → bytes). */
export async function loadImageEncoder(manifest: ModelManifest, files: Map<string, ArrayBuffer>): Promise<ImageEncoder> {
  const cfg = parseImageConfig(manifest);
  const get = (p: string): ArrayBuffer => {
    const b = files.get(p);
    if (!b) throw new TastebudError('model-load', `Image model file ${p} was not provided.`, { field: p });
    return b;
  };
  let json: { modelTopology?: unknown; weightsManifest?: Array<{ weights: tf.io.WeightsManifestEntry[] }> };
  try {
    json = JSON.parse(new TextDecoder().decode(get(cfg.modelJson))) as typeof json;
  } catch (err) {
    throw new TastebudError('model-load', `Image model file ${cfg.modelJson} is not valid JSON.`, { field: cfg.modelJson, cause: err });
  }
  if (typeof json.modelTopology !== 'object' || json.modelTopology === null || !Array.isArray(json.weightsManifest)) {
    bad('model.json needs modelTopology and weightsManifest', cfg.modelJson);
  }
  const weightSpecs = json.weightsManifest.flatMap((g) => g.weights);
  const parts = cfg.weights.map((p) => new Uint8Array(get(p)));
  const total = parts.reduce((a, p) => a + p.byteLength, 0);
  const weightData = new Uint8Array(total);
  let offset = 0;
  for (const p of parts) {
    weightData.set(p, offset);
    offset += p.byteLength;
  }

  let model: tf.LayersModel;
  try {
    model = await tf.loadLayersModel(
      tf.io.fromMemory({
        modelTopology: json.modelTopology as object,
        weightSpecs,
        weightData: weightData.buffer,
        format: 'layers-model',
      }),
    );
  } catch (err) {
    throw new TastebudError('model-load', `Could not build the image model: ${err instanceof Error ? err.message : String(err)}`, {
      cause: err,
    });
  }
  const outShape = model.outputs[0]?.shape;
  if (!outShape || outShape[outShape.length - 1] !== cfg.dim) {
    model.dispose();
    bad(`model output ${JSON.stringify(outShape)} does not end in dim ${cfg.dim}`, 'config.dim');
  }
  // Warm-up: compiles kernels (shader programs on WebGL/WebGPU) before the first real batch;
  // pointless on the plain-JS cpu backend, where it only costs time.
  if (tf.getBackend() !== 'cpu') {
    const warm = tf.tidy(() => model.predict(tf.zeros([1, cfg.inputSize, cfg.inputSize, 3])) as tf.Tensor);
    await warm.data();
    warm.dispose();
  }
  return new MobileNetImageEncoder(manifest, cfg, model);
}
