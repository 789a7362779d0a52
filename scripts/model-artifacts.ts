/**
 * Shared helpers for the build-time model scripts (scripts/build-*-model.ts):
 * write files deterministically and produce a manifest in the envelope of
 * common/model-format/manifest.ts with a sha256 per file. Node-only.
 */
import { mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { MANIFEST_FORMAT_VERSION, sha256Hex, type ManifestFile, type ModelKind, type ModelManifest } from '../common/model-format/manifest';

export interface ArtifactFile {
  path: string;
  bytes: Uint8Array;
  /** Listed in the manifest (fetched and verified by the loader); false for LICENSE/NOTICE. */
  listed: boolean;
}

/** Little-endian float32 bytes, independent of the build machine's endianness. */
export function float32LE(values: ArrayLike<number>): Uint8Array {
  const out = new Uint8Array(values.length * 4);
  const view = new DataView(out.buffer);
  for (let i = 0; i < values.length; i++) view.setFloat32(i * 4, values[i] ?? 0, true);
  return out;
}

export function utf8(text: string): Uint8Array {
  return new TextEncoder().encode(text);
}

export interface WriteModelOptions {
  dir: string;
  kind: ModelKind;
  name: string;
  /** Prefix of the version string; a content hash of the listed files is appended. */
  versionPrefix: string;
  config: Record<string, unknown>;
  license: string;
  metadata: Record<string, unknown>;
  files: ArtifactFile[];
}

/**
 * Replaces `dir` with exactly the given files plus `manifest.json`. The
 * manifest has no timestamp, so a rebuild from the same inputs is byte-identical.
 */
export async function writeModelDir(opts: WriteModelOptions): Promise<{ manifest: ModelManifest; totalBytes: number }> {
  mkdirSync(opts.dir, { recursive: true });
  for (const entry of readdirSync(opts.dir)) rmSync(join(opts.dir, entry), { recursive: true, force: true });
  const listed: ManifestFile[] = [];
  let totalBytes = 0;
  for (const f of opts.files) {
    writeFileSync(join(opts.dir, f.path), f.bytes);
    totalBytes += f.bytes.byteLength;
    if (f.listed) listed.push({ path: f.path, sha256: await sha256Hex(f.bytes), bytes: f.bytes.byteLength });
  }
  const contentHash = (await sha256Hex(utf8(listed.map((f) => `${f.path}:${f.sha256}`).join('\n')))).slice(0, 12);
  const manifest: ModelManifest = {
    formatVersion: MANIFEST_FORMAT_VERSION,
    kind: opts.kind,
    name: opts.name,
    version: `${opts.versionPrefix}-${contentHash}`,
    files: listed,
    config: opts.config,
    license: opts.license,
    metadata: opts.metadata,
  };
  const manifestBytes = utf8(`${JSON.stringify(manifest, null, 2)}\n`);
  writeFileSync(join(opts.dir, 'manifest.json'), manifestBytes);
  totalBytes += manifestBytes.byteLength;
  return { manifest, totalBytes };
}
