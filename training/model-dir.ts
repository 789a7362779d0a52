/**
 * Writing and reading model directories in Node: every file's sha256 and
 * size go into manifest.json; reading verifies them (`model-integrity`).
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { TastebudError } from '../common/errors';
import { encodeWeights, VOCAB_FILE, WEIGHTS_FILE } from '../common/model-format/sequence';
import type { SequenceArchConfig } from './sequence/model';
import {
  MANIFEST_FORMAT_VERSION,
  type ManifestFile,
  type ModelKind,
  type ModelManifest,
  parseManifest,
  verifyFile,
} from '../common/model-format/manifest';

export interface ModelFileContent {
  path: string;
  bytes: Uint8Array;
}

export interface WriteModelOptions {
  kind: ModelKind;
  name: string;
  config: Record<string, unknown>;
  metadata?: Record<string, unknown>;
  license?: string;
}

const sha = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex');

/** Writes files then manifest.json (atomically renamed), returns the manifest. */
export function writeModelDir(dir: string, files: readonly ModelFileContent[], opts: WriteModelOptions): ModelManifest {
  mkdirSync(dir, { recursive: true });
  const entries: ManifestFile[] = [];
  for (const f of files) {
    const tmp = join(dir, `${f.path}.tmp`);
    writeFileSync(tmp, f.bytes);
    renameSync(tmp, join(dir, f.path));
    entries.push({ path: f.path, sha256: sha(f.bytes), bytes: f.bytes.byteLength });
  }
  const version = sha(new TextEncoder().encode(entries.map((e) => e.sha256).join(''))).slice(0, 16);
  const manifest: ModelManifest = {
    formatVersion: MANIFEST_FORMAT_VERSION,
    kind: opts.kind,
    name: opts.name,
    version,
    files: entries,
    config: opts.config,
    createdAt: new Date().toISOString(),
  };
  if (opts.license) manifest.license = opts.license;
  if (opts.metadata) manifest.metadata = opts.metadata;
  const tmp = join(dir, 'manifest.json.tmp');
  writeFileSync(tmp, `${JSON.stringify(manifest, null, 2)}\n`);
  renameSync(tmp, join(dir, 'manifest.json'));
  return manifest;
}

/** A sequence model directory: float32 weights (in `tensors` order), the item vocabulary, the manifest. */
export function writeSequenceModelDir(
  dir: string,
  config: SequenceArchConfig,
  tensors: ReadonlyArray<{ name: string; shape: number[]; data: Float32Array }>,
  vocabulary: readonly string[],
  metadata?: Record<string, unknown>,
): ModelManifest {
  const { specs, bytes } = encodeWeights(tensors);
  return writeModelDir(
    dir,
    [
      { path: WEIGHTS_FILE, bytes },
      { path: VOCAB_FILE, bytes: new TextEncoder().encode(JSON.stringify(vocabulary)) },
    ],
    {
      kind: 'sequence',
      name: config.architecture,
      config: { ...config, weights: { path: WEIGHTS_FILE, dtype: 'float32', byteOrder: 'little-endian', specs }, vocabulary: VOCAB_FILE },
      ...(metadata ? { metadata } : {}),
    },
  );
}

/** Reads and verifies a model directory (optionally checking its kind). */
export async function readModelDir(dir: string, kind?: ModelKind): Promise<{ manifest: ModelManifest; files: Map<string, ArrayBuffer> }> {
  const path = join(dir, 'manifest.json');
  if (!existsSync(path))
    throw new TastebudError(
      'model-load',
      `No manifest.json in ${dir}: not a model directory (train one with: tastebud train --interactions <file> --out ${dir})`,
      { field: 'model' },
    );
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(path, 'utf8'));
  } catch (err) {
    throw new TastebudError('model-load', `${path} is not valid JSON`, { field: 'manifest', cause: err });
  }
  const manifest = parseManifest(json, kind);
  const files = new Map<string, ArrayBuffer>();
  for (const entry of manifest.files) {
    const p = join(dir, entry.path);
    if (!existsSync(p))
      throw new TastebudError('model-integrity', `Model file ${entry.path} listed in the manifest is missing from ${dir}`, {
        field: entry.path,
      });
    const buf = readFileSync(p);
    const ab = buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength) as ArrayBuffer;
    await verifyFile(entry, ab);
    files.set(entry.path, ab);
  }
  return { manifest, files };
}

/** The shipped model: cli/ in the repository, dist/cli/ in the package (public/ one or two levels up). */
export function shippedModelDir(kind: 'text' | 'image'): string {
  for (const rel of [`../public/models/${kind}/`, `../../public/models/${kind}/`]) {
    const dir = fileURLToPath(new URL(rel, import.meta.url));
    if (existsSync(join(dir, 'manifest.json'))) return dir;
  }
  throw new TastebudError('model-load', `The shipped ${kind} model (public/models/${kind}) was not found; pass --${kind}-model <dir>`, {
    field: `${kind}-model`,
  });
}
