/**
 * `npm run demo`: builds (or reuses) the MovieLens catalog and model, then
 * starts the vite dev server on the demo and prints its URL. Arguments go to
 * demo/build-catalog.ts (e.g. `npm run demo -- --data-dir ~/movielens`).
 */
import { spawnSync } from 'node:child_process';
import { resolve } from 'node:path';
import { createServer } from 'vite';

const repoRoot = resolve(import.meta.dirname, '..');
const build = spawnSync(process.execPath, ['--import', 'tsx', resolve(import.meta.dirname, 'build-catalog.ts'), ...process.argv.slice(2)], {
  stdio: 'inherit',
  cwd: repoRoot,
});
if (build.status !== 0) {
  process.exitCode = build.status ?? 1;
} else {
  const server = await createServer({
    configFile: resolve(repoRoot, 'vite.config.ts'),
    server: { port: Number(process.env.DEMO_PORT ?? 5173) },
  });
  await server.listen();
  process.stdout.write('\ntastebud demo is running. Open it in your browser (Ctrl-C to stop):\n');
  server.printUrls();
}
