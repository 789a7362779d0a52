/**
 * Fetches a model directory (manifest + files), checks every file's size and
 * sha256 against the manifest, and keeps a verified copy in IndexedDB so the
 * next page load works offline. A broken or tampered update never replaces a
 * good cached copy: the cached one keeps serving and the failure is reported.
 */
import { TastebudError, toTastebudError, type TastebudErrorCode } from '../../common/errors';
import type { Database } from '../storage/db';
import { readCachedModel, writeCachedModel } from '../storage/models';
import { parseManifest, verifyFile, type ModelKind, type ModelManifest } from '../../common/model-format/manifest';

export interface LoadedModelFiles {
  manifest: ModelManifest;
  files: Map<string, ArrayBuffer>;
  source: 'network' | 'cache';
  bytes: number;
  /** Set when the network copy failed and the cached copy is used instead. */
  warning?: string;
  /** The TastebudError code of that failure. */
  warningCode?: TastebudErrorCode;
}

export type FileProgress = (done: number, total: number) => void;

async function fetchOk(url: string): Promise<Response> {
  let response: Response;
  try {
    response = await fetch(url);
  } catch (err) {
    throw new TastebudError(
      'model-load',
      `Could not fetch ${url}: ${err instanceof Error ? err.message : String(err)} (offline, or blocked by CORS / CSP?)`,
      { cause: err },
    );
  }
  if (!response.ok)
    throw new TastebudError(
      'model-load',
      `Fetching ${url} failed with HTTP ${response.status}; check the model URL and that the files are deployed.`,
    );
  return response;
}

async function fetchManifest(url: string, kind: ModelKind): Promise<ModelManifest> {
  const response = await fetchOk(url);
  let json: unknown;
  try {
    json = await response.json();
  } catch (err) {
    throw new TastebudError('model-load', `The manifest at ${url} is not valid JSON.`, { cause: err });
  }
  return parseManifest(json, kind);
}

function sameFiles(a: ModelManifest, b: ModelManifest): boolean {
  return (
    a.version === b.version &&
    a.files.length === b.files.length &&
    a.files.every((f, i) => f.path === b.files[i]!.path && f.sha256 === b.files[i]!.sha256)
  );
}

async function fromCacheRecord(database: Database, url: string, kind: ModelKind): Promise<LoadedModelFiles | undefined> {
  const record = await readCachedModel(database, url).catch(() => undefined);
  if (!record) return undefined;
  const manifest = parseManifest(record.manifest, kind);
  const files = new Map<string, ArrayBuffer>();
  for (const entry of manifest.files) {
    const bytes = record.files[entry.path];
    if (!bytes) return undefined;
    await verifyFile(entry, bytes);
    files.set(entry.path, bytes);
  }
  return { manifest, files, source: 'cache', bytes: manifest.files.reduce((s, f) => s + f.bytes, 0) };
}

async function fromNetwork(url: string, manifest: ModelManifest, onProgress?: FileProgress): Promise<Map<string, ArrayBuffer>> {
  const files = new Map<string, ArrayBuffer>();
  const total = manifest.files.reduce((s, f) => s + f.bytes, 0);
  let done = 0;
  for (const entry of manifest.files) {
    const bytes = await (await fetchOk(new URL(entry.path, url).href)).arrayBuffer();
    await verifyFile(entry, bytes);
    files.set(entry.path, bytes);
    done += entry.bytes;
    onProgress?.(done, total);
  }
  return files;
}

/** `url` must be absolute (the page resolves relative URLs before sending them). */
export async function loadModelFiles(
  database: Database,
  url: string,
  kind: ModelKind,
  onProgress?: FileProgress,
): Promise<LoadedModelFiles> {
  const cached = await fromCacheRecord(database, url, kind).catch(() => undefined);
  let manifest: ModelManifest;
  try {
    manifest = await fetchManifest(url, kind);
  } catch (err) {
    if (cached) {
      const e = toTastebudError(err);
      return { ...cached, warning: `using the cached copy: ${e.message}`, warningCode: e.code };
    }
    throw err;
  }
  // Same files: serve them from the cache, but with the fresh manifest, whose metadata (e.g. blend weights refitted by `tastebud blend`) may have changed.
  if (cached && sameFiles(cached.manifest, manifest)) return { ...cached, manifest };
  let files: Map<string, ArrayBuffer>;
  try {
    files = await fromNetwork(url, manifest, onProgress);
  } catch (err) {
    if (cached) {
      const e = toTastebudError(err);
      return { ...cached, warning: `kept the cached version ${cached.manifest.version}: ${e.message}`, warningCode: e.code };
    }
    throw err;
  }
  const record = { url, version: manifest.version, manifest, files: Object.fromEntries(files), storedAt: Date.now() };
  // Caching is best effort: a full disk must not stop the model from serving now.
  await writeCachedModel(database, record).catch(() => undefined);
  return { manifest, files, source: 'network', bytes: manifest.files.reduce((s, f) => s + f.bytes, 0) };
}
