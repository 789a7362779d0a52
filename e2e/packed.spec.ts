/**
 * The published artefact, end to end: `npm pack`, install the tarball into a
 * separate minimal vite app outside this repo, build it, open it in Chromium,
 * record events, reload, and get the same history and recommendations back.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { test, expect } from '@playwright/test';

const repo = resolve(import.meta.dirname, '..');
const PORT = 4188;
let appDir = '';
let server: ChildProcess | undefined;

function run(cmd: string, args: string[], cwd: string): string {
  return execFileSync(cmd, args, {
    cwd,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, npm_config_update_notifier: 'false' },
  });
}

test.beforeAll(async () => {
  test.setTimeout(300_000);
  appDir = mkdtempSync(join(tmpdir(), 'tastebud-packed-'));
  // dist/ was built by `npm run build` (the step before the e2e suite); skip prepack so stdout is only JSON.
  const packed = JSON.parse(run('npm', ['pack', '--json', '--ignore-scripts', '--pack-destination', appDir], repo)) as Array<{
    filename: string;
    files: Array<{ path: string }>;
  }>;
  const files = packed[0]!.files.map((f) => f.path);
  expect(files).toContain('dist/index.js');
  expect(files).toContain('dist/engine.worker.js');
  expect(files).toContain('dist/types/lib/index.d.ts');
  expect(files).toContain('public/models/text/manifest.json');
  expect(files).toContain('public/models/image/LICENSE');
  expect(files.some((f) => f.startsWith('lib/') || f.startsWith('test/') || f.includes('.data/'))).toBe(false);
  cpSync(join(repo, 'e2e/packed-app'), appDir, { recursive: true });
  writeFileSync(join(appDir, 'package.json'), JSON.stringify({ name: 'packed-app', private: true, type: 'module' }, null, 2));
  const vite = JSON.parse(run('npm', ['ls', 'vite', '--json', '--depth=0'], repo)) as { dependencies: { vite: { version: string } } };
  run(
    'npm',
    ['install', '--prefer-offline', '--no-audit', '--no-fund', join(appDir, packed[0]!.filename), `vite@${vite.dependencies.vite.version}`],
    appDir,
  );
  writeFileSync(
    join(appDir, 'vite.config.js'),
    "export default { build: { target: 'es2022' }, worker: { format: 'es' }, preview: { port: " +
      PORT +
      ", strictPort: true, host: '127.0.0.1' } };\n",
  );
  run('npx', ['vite', 'build'], appDir);
  expect(readdirSync(join(appDir, 'dist/assets')).some((f) => f.includes('engine.worker'))).toBe(true);
  server = spawn('npx', ['vite', 'preview'], { cwd: appDir, stdio: 'ignore', detached: true });
  for (let i = 0; i < 100; i++) {
    const up = await fetch(`http://127.0.0.1:${PORT}/`).then(
      (r) => r.ok,
      () => false,
    );
    if (up) return;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error('vite preview of the packed app did not start');
});

test.afterAll(() => {
  if (server?.pid)
    try {
      process.kill(-server.pid);
    } catch {
      /* already gone */
    }
  if (appDir) rmSync(appDir, { recursive: true, force: true });
});

test('a vite app using the packed tarball records events, reloads, and gets the same results', async ({ page }) => {
  await page.goto(`http://127.0.0.1:${PORT}/?action=track&backends=cpu`);
  await expect(page.locator('#status')).toHaveText('done', { timeout: 60_000 });
  const first = JSON.parse((await page.locator('#out').textContent()) ?? '{}');
  expect(first.isErrorClass).toBe(true);
  expect(first.info.backend).toBe('cpu');
  expect(first.history.map((e: { itemId: string }) => e.itemId)).toEqual(['up', 'alien']);
  expect(first.recs[0].itemId).toBe('aliens');
  expect(first.recs[0].reasons[0].text).toMatch(/sci-fi/);

  await page.goto(`http://127.0.0.1:${PORT}/?backends=cpu`);
  await expect(page.locator('#status')).toHaveText('done', { timeout: 60_000 });
  const second = JSON.parse((await page.locator('#out').textContent()) ?? '{}');
  expect(second.history).toEqual(first.history);
  expect(second.recs).toEqual(first.recs);
});

test('the packed `tastebud` bin trains and evaluates a model from a CSV file', () => {
  test.setTimeout(180_000);
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
