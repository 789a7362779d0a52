/**
 * Fetches a model directory (manifest + files), checks every file's size and
 * sha256 against the manifest, and keeps a verified copy in IndexedDB so the
 * next page load works offline. A broken or tampered update never replaces a
 * good cached copy: the cached one keeps serving and the failure is reported.
 */
import { TastebudError, toTastebudError, type TastebudErrorCode } from '../../common/errors';
import { LIMITS } from '../../common/validate';
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
  /**
   * Network copies only: stores them as the cached copy. The caller calls it
   * once the model is built and answered a self-check, so an update that
   * verifies but cannot be built never evicts a good cached copy.
   */
  keep?: () => Promise<void>;
  /** Network copies only: the verified cached copy (an older version) to build instead if this one cannot be built. */
  fallback?: LoadedModelFiles;
}

export type FileProgress = (done: number, total: number) => void;

function outside(path: string, why: string): never {
  throw new TastebudError(
    'model-integrity',
    `Model file path ${JSON.stringify(path.slice(0, 200))} ${why}: a manifest may only name files inside its own directory.`,
    { field: path },
  );
}

/**
 * The URL of a manifest's file. Checked after resolution, because that is what
 * gets fetched: backslashes, tabs and newlines, leading spaces and `%2e%2e` all
 * change what `new URL` resolves to, whatever the raw string looks like.
 */
export function resolveModelFile(manifestUrl: string, path: string): string {
  const directory = new URL('./', manifestUrl);
  let resolved: URL;
  try {
    resolved = new URL(path, manifestUrl);
  } catch {
    return outside(path, 'is not a valid URL');
  }
  if (resolved.origin !== directory.origin) outside(path, `resolves to another origin (${resolved.origin})`);
  const rest = resolved.pathname.slice(directory.pathname.length);
  if (!resolved.pathname.startsWith(directory.pathname) || rest.length === 0) outside(path, `resolves outside ${directory.pathname}`);
  // Encoded separators and dots that a server might decode into a path that leaves the directory.
  if (/%2e|%2f|%5c/i.test(rest)) outside(path, 'contains an encoded dot or slash');
  return resolved.href;
}

/**
 * Reads a response body, but never more than `limit` bytes: a declared
 * Content-Length over the limit is refused before reading, and the stream is
 * cancelled as soon as it goes past it.
 */
export async function readLimited(
  response: Response,
  limit: number,
  what: string,
  code: TastebudErrorCode = 'model-load',
): Promise<ArrayBuffer> {
  const tooBig = (size: string): TastebudError =>
    new TastebudError(code, `${what} is ${size}, more than the ${limit} bytes allowed; refusing to read it.`);
  const declared = Number(response.headers.get('content-length'));
  if (Number.isFinite(declared) && declared > limit) throw tooBig(`${declared} bytes (Content-Length)`);
  if (!response.body) {
    const bytes = await response.arrayBuffer();
    if (bytes.byteLength > limit) throw tooBig(`${bytes.byteLength} bytes`);
    return bytes;
  }
  const reader = response.body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.byteLength;
    if (total > limit) {
      await reader.cancel().catch(() => undefined);
      throw tooBig('larger');
    }
    chunks.push(value);
  }
  const out = new Uint8Array(total);
  let offset = 0;
  for (const chunk of chunks) {
    out.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return out.buffer;
}

/** Throws unless every file of the manifest resolves inside its directory and the sizes are within LIMITS. */
export function checkManifestFiles(url: string, manifest: ModelManifest): void {
  let total = 0;
  for (const entry of manifest.files) {
    resolveModelFile(url, entry.path);
    if (entry.bytes > LIMITS.modelFileBytes) {
      throw new TastebudError(
        'model-integrity',
        `Model file ${entry.path} is declared as ${entry.bytes} bytes, more than the ${LIMITS.modelFileBytes} allowed for one file.`,
        { field: entry.path },
      );
    }
    total += entry.bytes;
  }
  if (total > LIMITS.modelBytes) {
    throw new TastebudError('model-integrity', `The model's files add up to ${total} bytes, more than the ${LIMITS.modelBytes} allowed.`);
  }
}

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

/** The manifest alone, checked (envelope, file paths, sizes); its files are not fetched. */
export async function fetchManifest(url: string, kind: ModelKind): Promise<ModelManifest> {
  const response = await fetchOk(url);
  const bytes = await readLimited(response, LIMITS.manifestBytes, `The manifest at ${url}`);
  let json: unknown;
  try {
    json = JSON.parse(new TextDecoder().decode(bytes));
  } catch (err) {
    throw new TastebudError('model-load', `The manifest at ${url} is not valid JSON.`, { cause: err });
  }
  const manifest = parseManifest(json, kind);
  checkManifestFiles(url, manifest);
  return manifest;
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
    // Hashed when downloaded, and cached only after that and a self-check: re-hashing megabytes
    // on every start would cost more than the rest of a warm start. The size still has to match.
    if (!bytes || bytes.byteLength !== entry.bytes) return undefined;
    files.set(entry.path, bytes);
  }
  return { manifest, files, source: 'cache', bytes: manifest.files.reduce((s, f) => s + f.bytes, 0) };
}

async function fromNetwork(url: string, manifest: ModelManifest, onProgress?: FileProgress): Promise<Map<string, ArrayBuffer>> {
  const files = new Map<string, ArrayBuffer>();
  const total = manifest.files.reduce((s, f) => s + f.bytes, 0);
  let done = 0;
  for (const entry of manifest.files) {
    const fileUrl = resolveModelFile(url, entry.path);
    // A body longer than the manifest says cannot be the right file: stop reading at that size.
    const bytes = await readLimited(await fetchOk(fileUrl), entry.bytes, `Model file ${entry.path}`, 'model-integrity');
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
  const keep = (): Promise<void> => writeCachedModel(database, record).catch(() => undefined);
  return {
    manifest,
    files,
    source: 'network',
    bytes: manifest.files.reduce((s, f) => s + f.bytes, 0),
    keep,
    ...(cached ? { fallback: cached } : {}),
  };
}
