/**
 * The published artefact, end to end, the way a web developer meets it: `npm pack`,
 * the tarball installed into small apps outside this repo — one per mainstream
 * bundler, each set up only as the README's "Use with your bundler" says — built,
 * served and opened in plain headless Chromium (no GPU). Each runs the README's
 * example with the default backends and must pick wasm, recommend, and never
 * download the WebGPU chunk. Installs are kept in e2e/.artifacts/packed-apps/.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync, statSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { extname, join, normalize, resolve } from 'node:path';
import { test, expect, type Page } from '@playwright/test';

const repo = resolve(import.meta.dirname, '..');
const appsRoot = join(repo, 'e2e/.artifacts/packed-apps');
const fixtures = join(repo, 'e2e/packed-apps');
const VITE_VERSION = (JSON.parse(readFileSync(join(repo, 'node_modules/vite/package.json'), 'utf8')) as { version: string }).version;

/** Each app: the bundler packages it installs beside the tarball, its config file, and its build command. */
const APPS = {
  vite: { deps: [`vite@${VITE_VERSION}`], config: 'vite.config.js', build: ['npx', 'vite', 'build'], copiesWorker: false },
  webpack: { deps: ['webpack@5', 'webpack-cli@6'], config: 'webpack.config.js', build: ['npx', 'webpack'], copiesWorker: false },
  esbuild: { deps: ['esbuild@0.28'], config: 'esbuild.mjs', build: ['node', 'esbuild.mjs'], copiesWorker: true },
  rollup: {
    deps: ['rollup@4', '@rollup/plugin-node-resolve@16'],
    config: 'rollup.config.mjs',
    build: ['npx', 'rollup', '-c'],
    copiesWorker: true,
  },
} as const;
type AppName = keyof typeof APPS;

let tarball = '';

function run(cmd: string, args: readonly string[], cwd: string): string {
  return execFileSync(cmd, args, {
    cwd,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, npm_config_update_notifier: 'false' },
  });
}

/** The app folder with the tarball and its bundler installed (node_modules reused between runs). */
function prepareApp(name: AppName): string {
  const app = APPS[name];
  const dir = join(appsRoot, name);
  mkdirSync(dir, { recursive: true });
  cpSync(join(fixtures, 'main.js'), join(dir, 'main.js'));
  const html = readFileSync(join(fixtures, 'index.html'), 'utf8');
  const workerMeta = '<meta name="tastebud-worker" content="./tastebud-worker/engine.worker.js" />';
  writeFileSync(
    join(dir, 'index.html'),
    app.copiesWorker ? html.replace('<meta charset="utf-8" />', `<meta charset="utf-8" />\n    ${workerMeta}`) : html,
  );
  cpSync(join(fixtures, 'configs', app.config), join(dir, app.config));
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: `packed-${name}`, private: true, type: 'module' }, null, 2));
  run('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund', '--no-save', tarball, ...app.deps], dir);
  return dir;
}

/** Serves `root` (the built app) and records every path asked for. */
function serve(root: string): Promise<{ server: Server; url: string; served: string[] }> {
  const types: Record<string, string> = {
    '.html': 'text/html',
    '.js': 'text/javascript',
    '.wasm': 'application/wasm',
    '.json': 'application/json',
  };
  const served: string[] = [];
  const server = createServer((req, res) => {
    const path = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname);
    const file = normalize(join(root, path === '/' ? 'index.html' : path));
    if (!file.startsWith(root) || !existsSync(file) || !statSync(file).isFile()) {
      res.writeHead(404).end();
      return;
    }
    served.push(file);
    res.writeHead(200, { 'content-type': types[extname(file)] ?? 'application/octet-stream' }).end(readFileSync(file));
  });
  return new Promise((done) =>
    server.listen(0, '127.0.0.1', () => done({ server, url: `http://127.0.0.1:${(server.address() as { port: number }).port}/`, served })),
  );
}

interface AppOutput {
  error?: string;
  isErrorClass: boolean;
  info: { backend: string; backendsTried: Array<{ name: string; ok: boolean; reason?: string }>; wasm?: { simd: boolean } };
  history: Array<{ itemId: string }>;
  recs: Array<{ itemId: string; reasons: Array<{ text: string }> }>;
}

async function openApp(page: Page, url: string): Promise<AppOutput> {
  await page.goto(url);
  await expect(page.locator('#status')).toHaveText(/done|failed/, { timeout: 90_000 });
  const out = JSON.parse((await page.locator('#out').textContent()) ?? '{}') as AppOutput;
  expect(out.error, out.error).toBeUndefined();
  return out;
}

/** The README's example worked: default backends chose wasm on a machine without a GPU, and recommended. */
function expectRecommended(out: AppOutput): void {
  expect(out.isErrorClass).toBe(true);
  expect(out.info.backend).toBe('wasm');
  expect(out.info.wasm?.simd).toBe(true);
  expect(out.info.backendsTried.filter((a) => !a.ok).map((a) => a.name)).toEqual(expect.arrayContaining(['webgpu']));
  expect(out.history.map((e) => e.itemId)).toEqual(['up', 'alien']);
  expect(out.recs[0]!.itemId).toBe('aliens');
  expect(out.recs[0]!.reasons[0]!.text).toMatch(/sci-fi/);
}

/** No file served to the page holds the WebGPU backend (its flags are named WEBGPU_*); a wasm binary was. */
function expectNoWebGpuChunk(served: readonly string[]): void {
  const scripts = served.filter((f) => f.endsWith('.js'));
  expect(scripts.length).toBeGreaterThan(0);
  for (const file of scripts) expect(readFileSync(file, 'utf8').includes('WEBGPU_'), `${file} holds the WebGPU backend`).toBe(false);
  expect(served.some((f) => f.endsWith('.wasm'))).toBe(true);
}

test.describe.configure({ mode: 'serial' });

test.beforeAll(() => {
  mkdirSync(appsRoot, { recursive: true });
  // dist/ was built by `npm run build` (the step before the e2e suite); skip prepack so stdout is only JSON.
  const packed = JSON.parse(run('npm', ['pack', '--json', '--ignore-scripts', '--pack-destination', appsRoot], repo)) as Array<{
    filename: string;
    files: Array<{ path: string }>;
  }>;
  const files = packed[0]!.files.map((f) => f.path);
  for (const f of [
    'LICENSE',
    'dist/index.js',
    'dist/worker/engine.worker.js',
    'dist/worker/tfjs-backend-wasm-simd.wasm',
    'dist/types/lib/index.d.ts',
  ]) {
    expect(files).toContain(f);
  }
  expect(files).toContain('public/models/text/manifest.json');
  expect(files).toContain('public/models/image/LICENSE');
  expect(files.some((f) => f.startsWith('lib/') || f.startsWith('test/') || f.includes('.data/'))).toBe(false);
  tarball = join(appsRoot, packed[0]!.filename);
});

for (const name of ['vite', 'webpack', 'esbuild', 'rollup'] as const) {
  test(`${name}: a production build of the README example picks wasm, recommends, and never fetches the WebGPU chunk`, async ({ page }) => {
    test.setTimeout(300_000);
    const dir = prepareApp(name);
    run(APPS[name].build[0], APPS[name].build.slice(1), dir);
    const built = join(dir, 'dist');
    // Vite writes its own index.html; the others bundle the script only.
    if (name !== 'vite') cpSync(join(dir, 'index.html'), join(built, 'index.html'));
    expect(readdirSync(built).length).toBeGreaterThan(1);
    const { server, url, served } = await serve(built);
    try {
      const first = await openApp(page, `${url}?action=track`);
      expectRecommended(first);
      expectNoWebGpuChunk(served);
      // What was acknowledged is there after a reload.
      const second = await openApp(page, url);
      expect(second.history).toEqual(first.history);
      expect(second.recs).toEqual(first.recs);
    } finally {
      server.close();
    }
  });
}

test('vite dev server: the README example runs with no tastebud-specific settings', async ({ page }) => {
  test.setTimeout(180_000);
  const dir = join(appsRoot, 'vite');
  let server: ChildProcess | undefined;
  try {
    writeFileSync(join(dir, 'no-config.js'), 'export default {};\n');
    server = spawn('npx', ['vite', '--config', 'no-config.js', '--port', '4189', '--strictPort', '--host', '127.0.0.1'], {
      cwd: dir,
      stdio: 'ignore',
      detached: true,
    });
    let up = false;
    for (let i = 0; i < 150 && !up; i++) {
      up = await fetch('http://127.0.0.1:4189/').then(
        (r) => r.ok,
        () => false,
      );
      if (!up) await new Promise((r) => setTimeout(r, 200));
    }
    expect(up).toBe(true);
    expectRecommended(await openApp(page, 'http://127.0.0.1:4189/?action=track'));
  } finally {
    if (server?.pid)
      try {
        process.kill(-server.pid);
      } catch {
        /* already gone */
      }
  }
});

test('the packed `tastebud` bin trains and evaluates a model from a CSV file', () => {
  test.setTimeout(180_000);
  const appDir = join(appsRoot, 'vite');
  const lines = ['user,item,rating,timestamp'];
  for (let u = 1; u <= 30; u++) for (let t = 0; t < 8; t++) lines.push(`${u},${1 + ((u * 3 + t * 7) % 25)},4,${1000 + t}`);
  writeFileSync(join(appDir, 'log.csv'), `${lines.join('\n')}\n`);
  const bin = join(appDir, 'node_modules/.bin/tastebud');
  expect(run(bin, ['--help'], appDir)).toMatch(/tastebud <command>/);
  run(
    bin,
    ['train', '--interactions', 'log.csv', '--out', 'model', '--epochs', '2', '--max-len', '8', '--dim', '8', '--threads', '2', '--quiet'],
    appDir,
  );
  const manifest = JSON.parse(readFileSync(join(appDir, 'model/manifest.json'), 'utf8')) as {
    kind: string;
    name: string;
    files: Array<{ path: string; sha256: string }>;
  };
  expect(manifest).toMatchObject({ kind: 'sequence', name: 'sasrec' });
  expect(manifest.files.map((f) => f.path).sort()).toEqual(['vocab.json', 'weights.bin']);
  expect(run(bin, ['eval', '--model', 'model', '--interactions', 'log.csv'], appDir)).toMatch(/NDCG@10/);
  const report = JSON.parse(readFileSync(join(appDir, 'model/eval.json'), 'utf8')) as {
    users: number;
    metrics: { model: { ndcg10: number }; popularity: { ndcg10: number } };
  };
  expect(report.users).toBe(30);
  expect(report.metrics.model.ndcg10).toBeGreaterThanOrEqual(0);
  expect(report.metrics.model.ndcg10).toBeLessThanOrEqual(1);
  let failed = '';
  try {
    run(bin, ['train', '--interactions', 'missing.csv', '--out', 'x'], appDir);
  } catch (err) {
    failed = String((err as { stderr?: string }).stderr);
  }
  expect(failed).toMatch(/tastebud train: error .*missing\.csv/);
  expect(failed).not.toMatch(/\n\s+at /);
});
