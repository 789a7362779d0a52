/**
 * Model manifest: the one JSON file that describes a shipped model directory.
 * Every model kind (sequence, text, image, popularity) uses this envelope;
 * the kind-specific settings live in `config`, validated by that kind's loader.
 * Works in Node 20 and browsers (Web Crypto is global in both).
 */
import { TastebudError } from '../errors';

export const MANIFEST_FORMAT_VERSION = 1;

export type ModelKind = 'sequence' | 'text' | 'image' | 'popularity' | 'ratings' | 'item-vectors';

export interface ManifestFile {
  /** Path relative to the manifest's URL / directory, no `..`. */
  path: string;
  /** Lower-case hex sha256 of the file's bytes. */
  sha256: string;
  bytes: number;
}

export interface ModelManifest<Config = Record<string, unknown>> {
  formatVersion: number;
  kind: ModelKind;
  /** Architecture or family name, e.g. `sasrec`, `gru`, `sif-glove`, `mobilenetv2`. */
  name: string;
  /** Changes whenever the weights change; cached vectors are keyed by it. */
  version: string;
  files: ManifestFile[];
  config: Config;
  /** Licence notice for weights derived from third-party packages. */
  license?: string;
  /** Free-form, JSON-safe: training metrics, data fingerprint, blend weights… */
  metadata?: Record<string, unknown>;
  createdAt?: string;
}

const KINDS: ReadonlySet<string> = new Set<ModelKind>(['sequence', 'text', 'image', 'popularity', 'ratings', 'item-vectors']);

function fail(message: string, field: string): never {
  throw new TastebudError('model-load', `Invalid model manifest: ${message}`, { field });
}

/** Checks the envelope of an untrusted manifest; kind-specific `config` is checked by its loader. */
export function parseManifest(json: unknown, expectedKind?: ModelKind): ModelManifest {
  if (typeof json !== 'object' || json === null || Array.isArray(json)) fail('not a JSON object', 'manifest');
  const m = json as Record<string, unknown>;
  if (typeof m.formatVersion !== 'number' || !Number.isInteger(m.formatVersion)) fail('formatVersion must be an integer', 'formatVersion');
  if (m.formatVersion > MANIFEST_FORMAT_VERSION) {
    throw new TastebudError(
      'unsupported',
      `Model manifest format ${m.formatVersion} is newer than this tastebud understands (${MANIFEST_FORMAT_VERSION}); upgrade tastebud or re-export the model.`,
      { field: 'formatVersion' },
    );
  }
  if (typeof m.kind !== 'string' || !KINDS.has(m.kind)) fail(`kind must be one of ${[...KINDS].join(', ')}`, 'kind');
  if (expectedKind !== undefined && m.kind !== expectedKind) fail(`expected a ${expectedKind} model, got ${m.kind}`, 'kind');
  if (typeof m.name !== 'string' || m.name.length === 0) fail('name must be a non-empty string', 'name');
  if (typeof m.version !== 'string' || m.version.length === 0) fail('version must be a non-empty string', 'version');
  if (!Array.isArray(m.files)) fail('files must be an array', 'files');
  const files: ManifestFile[] = m.files.map((f: unknown, i: number) => {
    const field = `files[${i}]`;
    if (typeof f !== 'object' || f === null) fail('file entry must be an object', field);
    const { path, sha256, bytes } = f as Record<string, unknown>;
    if (typeof path !== 'string' || path.length === 0 || path.includes('..') || path.startsWith('/') || /^[a-z]+:/i.test(path)) {
      fail('file path must be relative and stay inside the model directory', `${field}.path`);
    }
    if (typeof sha256 !== 'string' || !/^[0-9a-f]{64}$/.test(sha256)) fail('sha256 must be 64 lower-case hex digits', `${field}.sha256`);
    if (typeof bytes !== 'number' || !Number.isInteger(bytes) || bytes < 0) fail('bytes must be a non-negative integer', `${field}.bytes`);
    return { path, sha256, bytes };
  });
  if (typeof m.config !== 'object' || m.config === null || Array.isArray(m.config)) fail('config must be an object', 'config');
  const out: ModelManifest = {
    formatVersion: m.formatVersion,
    kind: m.kind as ModelKind,
    name: m.name,
    version: m.version,
    files,
    config: m.config as Record<string, unknown>,
  };
  if (typeof m.license === 'string') out.license = m.license;
  if (typeof m.metadata === 'object' && m.metadata !== null && !Array.isArray(m.metadata))
    out.metadata = m.metadata as Record<string, unknown>;
  if (typeof m.createdAt === 'string') out.createdAt = m.createdAt;
  return out;
}

export async function sha256Hex(bytes: ArrayBuffer | Uint8Array): Promise<string> {
  const view = bytes instanceof Uint8Array ? bytes : new Uint8Array(bytes);
  const digest = await crypto.subtle.digest('SHA-256', view as Uint8Array<ArrayBuffer>);
  let hex = '';
  for (const b of new Uint8Array(digest)) hex += b.toString(16).padStart(2, '0');
  return hex;
}

/** Throws `model-integrity` naming the file if its size or hash differs from the manifest. */
export async function verifyFile(entry: ManifestFile, bytes: ArrayBuffer): Promise<void> {
  if (bytes.byteLength !== entry.bytes) {
    throw new TastebudError(
      'model-integrity',
      `Model file ${entry.path} is ${bytes.byteLength} bytes, the manifest says ${entry.bytes}: the file is truncated or was replaced. Re-deploy the model directory.`,
      { field: entry.path },
    );
  }
  const actual = await sha256Hex(bytes);
  if (actual !== entry.sha256) {
    throw new TastebudError(
      'model-integrity',
      `Model file ${entry.path} has sha256 ${actual}, the manifest says ${entry.sha256}: refusing to load a tampered or mismatched file.`,
      { field: entry.path },
    );
  }
}
