/** Builds the bench page with Vite's JS API (inline config) and serves it with `vite preview`. */
import { build, preview, type PreviewServer } from 'vite';
import { join } from 'node:path';
import { BENCH_PUBLIC } from './make-bench-models';

const root = join(import.meta.dirname, '..');
export const PAGE_OUT = join(root, 'bench/.build/page');

export async function buildPage(): Promise<void> {
  await build({
    configFile: false,
    logLevel: 'warn',
    root: join(root, 'bench/browser'),
    publicDir: BENCH_PUBLIC,
    build: { target: 'es2022', outDir: PAGE_OUT, emptyOutDir: true },
    worker: { format: 'es' },
  });
}

export async function servePage(port: number): Promise<{ url: string; close: () => Promise<void> }> {
  const server: PreviewServer = await preview({
    configFile: false,
    logLevel: 'warn',
    root: join(root, 'bench/browser'),
    build: { outDir: PAGE_OUT },
    preview: { port, strictPort: true, host: '127.0.0.1' },
  });
  return { url: `http://127.0.0.1:${port}/`, close: () => server.close() };
}
