import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { VERSION } from '../lib/version';

const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as Record<string, unknown>;

test('lib/version.ts matches package.json', () => {
  assert.equal(VERSION, pkg.version);
});

test('package.json is publishable as an ESM library with types', () => {
  assert.equal(pkg.name, 'tastebud');
  assert.equal(pkg.type, 'module');
  const exp = (pkg.exports as Record<string, Record<string, string>>)['.']!;
  assert.ok(exp.types && exp.import, 'exports["."] has types and import');
  assert.equal(pkg.sideEffects, false);
  assert.deepEqual(pkg.files, ['dist', 'public/models', 'README.md', 'LICENSE']);
  // Bundlers without worker detection (esbuild, Rollup) copy this file and pass it as workerUrl.
  assert.equal((pkg.exports as Record<string, string>)['./worker'], './dist/worker/engine.worker.js');
  const deps = Object.keys(pkg.dependencies as object);
  // comlink is imported by the main-thread entry; tfjs, its wasm backend and wink-sentiment (review scores) by the CLI.
  for (const d of ['@tensorflow/tfjs', '@tensorflow/tfjs-backend-wasm', 'comlink', 'wink-sentiment']) assert.ok(deps.includes(d), d);
  // The worker is self-contained: what only it uses is bundled, not installed.
  for (const d of ['@tensorflow/tfjs-backend-webgpu', 'idb']) assert.ok(!deps.includes(d), d);
});
