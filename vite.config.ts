/**
 * Four builds from one config:
 *  - `vite build --mode lib`: the published package (dist/index.js + the worker
 *    chunk it loads with `new Worker(new URL(…, import.meta.url))`).
 *  - `vite build --mode cli`: the `tastebud` bin (dist/cli/tastebud.js, Node).
 *  - `vite build --mode e2e` / `vite preview --mode e2e`: the Playwright harness page.
 *  - default (`vite`, `vite build`): the demo app in demo/.
 */
import { defineConfig, type Plugin } from 'vite';
import { resolve } from 'node:path';
import { serveCatalog } from './demo/serve-catalog';

const root = import.meta.dirname;

const cliEntries: Record<string, string> = {
  tastebud: resolve(root, 'cli/bin.ts'),
  'gradient-worker': resolve(root, 'training/gradient-worker.ts'),
};

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

/** The policy the CSP harness page (and the worker it starts) is served with: no unsafe-eval, no inline script. */
const STRICT_CSP =
  "default-src 'self'; script-src 'self'; worker-src 'self'; connect-src 'self'; img-src 'self' blob: data:; style-src 'self'; object-src 'none'; base-uri 'none'";

/**
 * e2e only: serves /csp.html, and everything it loads (the worker script
 * included: a worker's CSP comes from its own response), with STRICT_CSP.
 */
function strictCspPage(): Plugin {
  const underCsp = (url: string | undefined, referer: string | undefined): boolean =>
    (url ?? '').startsWith('/csp.html') || /\/csp\.html(\?|$)/.test(referer ?? '');
  return {
    name: 'tastebud:e2e-strict-csp',
    configurePreviewServer(server) {
      server.middlewares.use((req, res, next) => {
        if (underCsp(req.url, req.headers.referer)) res.setHeader('Content-Security-Policy', STRICT_CSP);
        next();
      });
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
  if (mode === 'cli') {
    // The `tastebud` bin for Node: our code in one file; tfjs stays a dependency
    // (tfjs-backend-wasm finds its .wasm files in its own package), the small
    // progress-bar package is bundled so the package needs no extra dependency.
    return {
      publicDir: false,
      build: {
        target: 'node20',
        outDir: 'dist/cli',
        emptyOutDir: true,
        minify: false,
        ssr: true,
        // gradient-worker.js is the worker-thread entry of `train --threads`; it must sit next to tastebud.js
        rollupOptions: {
          input: cliEntries,
          output: { entryFileNames: '[name].js', chunkFileNames: '[name]-[hash].js', format: 'es' },
        },
      },
      ssr: { noExternal: ['cli-progress', 'jpeg-js'] },
    };
  }
  if (mode === 'e2e') {
    return {
      root: resolve(root, 'e2e/harness'),
      publicDir: resolve(root, 'e2e/harness/public'),
      plugins: [strictCspPage()],
      build: {
        target: 'es2022',
        outDir: resolve(root, 'e2e/.artifacts/harness'),
        emptyOutDir: true,
        rollupOptions: { input: { index: resolve(root, 'e2e/harness/index.html'), csp: resolve(root, 'e2e/harness/csp.html') } },
      },
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
