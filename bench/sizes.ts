/**
 * Bytes on the wire: the main-thread entry and the worker as a consumer's
 * bundler (Vite, minified) emits them from the package source, gzipped; and
 * every model file, raw and gzipped.
 */
import { build, type Rollup } from 'vite';
import { gzipSync } from 'node:zlib';
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { staticClosure } from './bundle-graph';

const root = join(import.meta.dirname, '..');
const OUT = join(root, 'bench/.build/size');

export interface ChunkSize {
  file: string;
  bytes: number;
  gzipBytes: number;
}
export interface ModelSize {
  name: string;
  files: number;
  bytes: number;
  gzipBytes: number;
}

export interface SizeResult {
  mainGzipBytes: number;
  mainBytes: number;
  /** The worker's entry chunk with everything it imports statically (tfjs core, cpu + webgl backends, comlink, idb). */
  workerGzipBytes: number;
  workerBytes: number;
  /** Chunks the worker loads only when needed (e.g. the WebGPU backend). */
  lazyChunks: ChunkSize[];
  models: ModelSize[];
}

function gzipBytes(bytes: Uint8Array): number {
  return gzipSync(bytes, { level: 9 }).byteLength;
}

function isOutputs(value: unknown): value is Rollup.RollupOutput {
  return typeof value === 'object' && value !== null && 'output' in value;
}

export async function measureBundles(): Promise<Omit<SizeResult, 'models'>> {
  const result = await build({
    configFile: false,
    logLevel: 'warn',
    root,
    publicDir: false,
    build: {
      target: 'es2022',
      outDir: OUT,
      emptyOutDir: true,
      minify: true,
      write: false,
      modulePreload: false,
      rollupOptions: { input: { index: join(root, 'lib/index.ts') }, preserveEntrySignatures: 'strict' },
    },
    worker: { format: 'es' },
  });
  const outputs = (Array.isArray(result) ? result : [result]).filter(isOutputs);
  // Vite builds `new Worker(new URL(…))` as a separate bundle and emits its files as assets.
  const files = new Map<string, string>();
  let entry: string | undefined;
  for (const out of outputs)
    for (const file of out.output) {
      if (file.type === 'chunk') {
        files.set(file.fileName, file.code);
        if (file.isEntry && file.name === 'index') entry = file.fileName;
      } else if (file.fileName.endsWith('.js')) {
        files.set(file.fileName, typeof file.source === 'string' ? file.source : new TextDecoder().decode(file.source));
      }
    }
  const workerEntry = [...files.keys()].find((name) => name.includes('engine.worker'));
  if (!entry || !workerEntry) throw new Error(`the size build lacks the index or the worker (files: ${[...files.keys()].join(', ')})`);
  const size = (names: Iterable<string>): { bytes: number; gzipBytes: number } => {
    let bytes = 0;
    let gz = 0;
    for (const name of names) {
      const code = new TextEncoder().encode(files.get(name)!);
      bytes += code.byteLength;
      gz += gzipBytes(code);
    }
    return { bytes, gzipBytes: gz };
  };
  const mainSet = staticClosure(files, entry);
  const workerSet = staticClosure(files, workerEntry);
  const main = size(mainSet);
  const worker = size(workerSet);
  const lazyChunks = [...files.keys()].filter((n) => !workerSet.has(n) && !mainSet.has(n)).map((file) => ({ file, ...size([file]) }));
  return { mainBytes: main.bytes, mainGzipBytes: main.gzipBytes, workerBytes: worker.bytes, workerGzipBytes: worker.gzipBytes, lazyChunks };
}

export function measureModels(modelsDir: string): ModelSize[] {
  return readdirSync(modelsDir)
    .filter((name) => statSync(join(modelsDir, name)).isDirectory())
    .sort()
    .map((name) => {
      const manifest = JSON.parse(readFileSync(join(modelsDir, name, 'manifest.json'), 'utf8')) as { files: Array<{ path: string }> };
      let bytes = 0;
      let gz = 0;
      for (const file of ['manifest.json', ...manifest.files.map((f) => f.path)]) {
        const data = readFileSync(join(modelsDir, name, file));
        bytes += data.byteLength;
        gz += gzipBytes(data);
      }
      return { name, files: manifest.files.length + 1, bytes, gzipBytes: gz };
    });
}
