/**
 * Five builds from one config:
 *  - `vite build --mode lib`: the published main-thread entry (dist/index.js),
 *    which starts the worker with `new Worker(new URL('./worker/engine.worker.js', import.meta.url))`.
 *  - `vite build --mode worker`: that worker, self-contained (dist/worker/): tfjs and
 *    its CommonJS dependencies bundled, lazy chunks for the WebGPU and wasm
 *    backends, the wasm binaries beside it, all referenced relative to the worker.
 *  - `vite build --mode cli`: the `tastebud` bin (dist/cli/tastebud.js, Node).
 *  - `vite build --mode e2e` / `vite preview --mode e2e`: the Playwright harness page.
 *  - default (`vite`, `vite build`): the demo app in demo/.
 */
import { defineConfig, type Plugin, type UserConfig } from 'vite';
import { resolve } from 'node:path';
import { serveCatalog } from './demo/serve-catalog';

const root = import.meta.dirname;

const cliEntries: Record<string, string> = {
  tastebud: resolve(root, 'cli/bin.ts'),
  'gradient-worker': resolve(root, 'training/gradient-worker.ts'),
};

const SOURCE_WORKER_URL = "new URL('../workers/engine.worker.ts', import.meta.url)";
/**
 * From dist/index.js, up to the folder holding the package and back down: the same
 * file as './worker/engine.worker.js' where the package is installed (npm, pnpm, yarn),
 * and still the right file after Vite's dev server pre-bundles index.js into
 * node_modules/.vite/deps/, which sits at the same depth. A copy installed under
 * another folder name (an npm alias, a linked workspace) passes `workerUrl`.
 */
const DIST_WORKER_URL = "new URL('../../tastebud/dist/worker/engine.worker.js', import.meta.url)";

/**
 * In the published package the worker is its own build (dist/worker/engine.worker.js)
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

/**
 * Vite writes `new URL("file.wasm", import.meta.url)`; webpack and other bundlers
 * that re-bundle the worker only treat it as a file beside the module with "./".
 */
function relativeAssetUrls(): Plugin {
  return {
    name: 'tastebud:relative-asset-urls',
    // After Vite has written its asset URLs into the chunks.
    generateBundle(_options, bundle) {
      for (const chunk of Object.values(bundle)) {
        if (chunk.type === 'chunk')
          chunk.code = chunk.code.replace(
            /new URL\("(?!\.{0,2}\/|[a-z]+:)([^"]+)",\s*import\.meta\.url\)/g,
            'new URL("./$1",import.meta.url)',
          );
      }
    },
  };
}

/** The demo is cross-origin isolated, so the wasm backend runs with threads (everything it loads is same-origin). */
const CROSS_ORIGIN_ISOLATED = { 'Cross-Origin-Opener-Policy': 'same-origin', 'Cross-Origin-Embedder-Policy': 'require-corp' };

/** The policy the CSP harness page (and the worker it starts) is served with: no unsafe-eval, no inline script. */
const STRICT_CSP =
  "default-src 'self'; script-src 'self'; worker-src 'self'; connect-src 'self'; img-src 'self' blob: data:; style-src 'self'; object-src 'none'; base-uri 'none'";

/** STRICT_CSP plus the one directive WebAssembly needs, which the README tells users to add. */
const WASM_CSP = STRICT_CSP.replace("script-src 'self'", "script-src 'self' 'wasm-unsafe-eval'");

/**
 * e2e only: serves /csp.html (STRICT_CSP) and /csp-wasm.html (WASM_CSP), and
 * everything each loads (the worker script included: a worker's CSP comes from
 * its own response), with that page's policy.
 */
function strictCspPage(): Plugin {
  const pageOf = (url: string | undefined, referer: string | undefined): string | undefined =>
    /^\/(csp(?:-wasm)?)\.html/.exec(url ?? '')?.[1] ?? /\/(csp(?:-wasm)?)\.html(\?|$)/.exec(referer ?? '')?.[1];
  return {
    name: 'tastebud:e2e-strict-csp',
    configurePreviewServer(server) {
      server.middlewares.use((req, res, next) => {
        const page = pageOf(req.url, req.headers.referer);
        if (page) res.setHeader('Content-Security-Policy', page === 'csp' ? STRICT_CSP : WASM_CSP);
        next();
      });
    },
  };
}

export default defineConfig(({ mode }): UserConfig => {
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
        lib: { entry: { index: resolve(root, 'lib/index.ts') }, formats: ['es'] },
        // comlink stays an import: the consumer's bundler resolves and dedupes it.
        rollupOptions: { external: ['comlink'] },
      },
    };
  }
  if (mode === 'worker') {
    // Everything the worker runs, already resolved, so a consumer's bundler only copies or
    // re-chunks plain ESM and never has to transform tfjs's CommonJS dependencies.
    return {
      publicDir: false,
      base: './',
      plugins: [relativeAssetUrls()],
      // Emscripten's loader (tfjs-backend-wasm) reads __filename behind a typeof guard; webpack 5
      // folds the guard to true in ESM but leaves the name undefined, so it is settled here.
      define: { __filename: 'undefined' },
      build: {
        target: 'es2022',
        outDir: 'dist/worker',
        emptyOutDir: true,
        // No source maps: they would add ~17 MB (tfjs) to the package.
        sourcemap: false,
        minify: true,
        assetsDir: '',
        assetsInlineLimit: 0,
        // Vite's preload helper for dynamic imports reaches for `document` / `window`, which a worker lacks.
        modulePreload: false,
        rollupOptions: {
          input: { 'engine.worker': resolve(root, 'workers/engine.worker.ts') },
          output: {
            format: 'es',
            entryFileNames: '[name].js',
            // The lazy backends' chunks are named for what they hold: only a device that can use one downloads it.
            chunkFileNames: (chunk) =>
              chunk.moduleIds.some((id) => id.includes('tfjs-backend-webgpu'))
                ? 'webgpu-[hash].js'
                : chunk.moduleIds.some((id) => id.includes('tfjs-backend-wasm'))
                  ? 'wasm-[hash].js'
                  : chunk.moduleIds.some((id) => id.includes('fake-indexeddb'))
                    ? 'memory-store-[hash].js'
                    : '[name]-[hash].js',
            assetFileNames: '[name][extname]',
            // The entry stays a stub that imports the engine chunk: lazy chunks then import the
            // engine chunk too, never the entry, which a dev server may load under another URL
            // (Vite adds ?worker_file) and so would evaluate twice.
            manualChunks: (id) =>
              /tfjs-backend-(webgpu|wasm)|fake-indexeddb|workers\/backends\/wasm\.ts|engine\.worker\.ts/.test(id) ? undefined : 'engine',
          },
          preserveEntrySignatures: false,
        },
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
        rollupOptions: {
          input: {
            index: resolve(root, 'e2e/harness/index.html'),
            csp: resolve(root, 'e2e/harness/csp.html'),
            'csp-wasm': resolve(root, 'e2e/harness/csp-wasm.html'),
          },
        },
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
    preview: { port: Number(process.env.DEMO_PORT ?? 4174), strictPort: true, host: '127.0.0.1', headers: CROSS_ORIGIN_ISOLATED },
    build: { target: 'es2022', outDir: resolve(root, 'dist-demo'), emptyOutDir: true },
    worker: { format: 'es' },
    server: { port: 5173, host: '127.0.0.1', fs: { allow: [root] }, headers: CROSS_ORIGIN_ISOLATED },
  };
});
