/**
 * Three builds from one config:
 *  - `vite build --mode lib`: the published package (dist/index.js + the worker
 *    chunk it loads with `new Worker(new URL(…, import.meta.url))`).
 *  - `vite build --mode e2e` / `vite preview --mode e2e`: the Playwright harness page.
 *  - default (`vite`, `vite build`): the demo app in demo/.
 */
import { defineConfig, type Plugin } from 'vite';
import { resolve } from 'node:path';
import { serveCatalog } from './demo/serve-catalog';

const root = import.meta.dirname;

const SOURCE_WORKER_URL = "new URL('../workers/engine.worker.ts', import.meta.url)";
const DIST_WORKER_URL = "new URL('./engine.worker.js', import.meta.url)";

/**
 * In the published package the worker is its own entry (dist/engine.worker.js)
 * and index.js must keep the literal `new Worker(new URL('./engine.worker.js',
 * import.meta.url))` so that the consumer's bundler finds and bundles it. Vite
 * would otherwise bundle the worker itself and write an absolute asset path.
 */
function keepWorkerUrlForConsumers(): Plugin {
  return {
    name: 'tastebud:keep-worker-url',
    enforce: 'pre',
    transform(code, id) {
      if (!id.endsWith('lib/recommender.ts')) return null;
      if (!code.includes(SOURCE_WORKER_URL)) this.error('lib/recommender.ts no longer creates the worker the way the build expects');
      return { code: code.replace(SOURCE_WORKER_URL, 'new URL(__TASTEBUD_WORKER_URL__, import.meta.url)'), map: null };
    },
    renderChunk(code) {
      if (!code.includes('__TASTEBUD_WORKER_URL__')) return null;
      return { code: code.replace(/new URL\(\s*__TASTEBUD_WORKER_URL__,\s*import\.meta\.url\s*\)/, DIST_WORKER_URL), map: null };
    },
  };
}

export default defineConfig(({ mode }) => {
  if (mode === 'lib') {
    return {
      publicDir: false,
      plugins: [keepWorkerUrlForConsumers()],
      build: {
        target: 'es2022',
        outDir: 'dist',
        emptyOutDir: true,
        sourcemap: true,
        minify: false,
        lib: {
          entry: { index: resolve(root, 'lib/index.ts'), 'engine.worker': resolve(root, 'workers/engine.worker.ts') },
          formats: ['es'],
        },
        // Dependencies stay imports: the consumer's bundler resolves and dedupes them.
        rollupOptions: { external: ['comlink', 'idb', /^@tensorflow\//] },
      },
    };
  }
  if (mode === 'e2e') {
    return {
      root: resolve(root, 'e2e/harness'),
      publicDir: resolve(root, 'e2e/harness/public'),
      build: { target: 'es2022', outDir: resolve(root, 'e2e/.artifacts/harness'), emptyOutDir: true },
      worker: { format: 'es' },
      preview: { port: 4173, strictPort: true, host: '127.0.0.1' },
    };
  }
  return {
    root: resolve(root, 'demo'),
    publicDir: resolve(root, 'public'),
    // The MovieLens catalog (git-ignored) is served at /catalog/, never copied into dist-demo/.
    plugins: [serveCatalog(resolve(root, 'demo/.catalog'))],
    preview: { port: Number(process.env.DEMO_PORT ?? 4174), strictPort: true, host: '127.0.0.1' },
    build: { target: 'es2022', outDir: resolve(root, 'dist-demo'), emptyOutDir: true },
    worker: { format: 'es' },
    server: { port: 5173, host: '127.0.0.1', fs: { allow: [root] } },
  };
});
