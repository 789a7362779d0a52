/**
 * E2E in Debian's Chromium (/usr/bin/chromium; Playwright's own browser download
 * does not work here). One project per backend; each test asserts which backend
 * was actually chosen. The harness is built by `npm run build:e2e` and served by
 * `vite preview --mode e2e`.
 */
import { existsSync } from 'node:fs';
import { defineConfig } from '@playwright/test';
import type { BackendName } from './common/types';

export interface BackendFixtureOptions {
  backends: BackendName[];
  expectedBackend: BackendName;
}

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
/** E2E_PORT lets two checkouts run their suites side by side. */
const PORT = Number(process.env.E2E_PORT ?? 4173);
/** The MovieLens demo (dist-demo/, built by `npm run build:demo`) is served on its own port. */
const DEMO_PORT = Number(process.env.DEMO_E2E_PORT ?? 4174);
const DEMO_URL = `http://127.0.0.1:${DEMO_PORT}/`;
const DEMO_BUILT = existsSync('dist-demo/index.html');
const BASE_ARGS = [
  '--no-sandbox',
  '--disable-dev-shm-usage',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];
const WEBGPU_ARGS = ['--enable-unsafe-webgpu', '--use-webgpu-adapter=swiftshader', '--enable-unsafe-swiftshader'];
const BACKEND_INDEPENDENT_FAULTS = /e2e\/faults\/(models|storage-unavailable|hostile|privacy|migration|two-tabs|races)\.spec\.ts/;
const WEBGL_ARGS = ['--enable-unsafe-swiftshader', '--use-angle=swiftshader'];

export default defineConfig<BackendFixtureOptions>({
  testDir: './e2e',
  testMatch: /.*\.spec\.ts/,
  timeout: 120_000,
  expect: { timeout: 20_000 },
  fullyParallel: false,
  workers: 1,
  retries: 0,
  // E2E_REPORT names the JSON report, so `npm run test:faults` does not overwrite the main suite's.
  reporter:
    process.env.CI || process.env.E2E_REPORT
      ? [['list'], ['json', { outputFile: process.env.E2E_REPORT ?? 'test-results/e2e.json' }]]
      : 'list',
  outputDir: 'test-results/artifacts',
  webServer: [
    {
      command: `npx vite preview --mode e2e --port ${PORT}`,
      url: `http://127.0.0.1:${PORT}/`,
      reuseExistingServer: !process.env.CI,
      timeout: 60_000,
    },
    // Only when built, so the other projects run without the MovieLens demo; CI always builds it (npm test).
    ...(DEMO_BUILT || process.env.CI
      ? [
          {
            command: `npx vite preview --port ${DEMO_PORT}`,
            url: DEMO_URL,
            reuseExistingServer: !process.env.CI,
            timeout: 60_000,
          },
        ]
      : []),
  ],
  use: {
    baseURL: `http://127.0.0.1:${PORT}/`,
    headless: true,
    screenshot: 'only-on-failure',
    trace: 'retain-on-failure',
  },
  projects: [
    {
      name: 'webgpu',
      testIgnore: [/(packed|demo)\.spec\.ts/, /e2e\/faults\//],
      use: {
        backends: ['webgpu', 'webgl', 'cpu'],
        expectedBackend: 'webgpu',
        launchOptions: { executablePath: CHROMIUM, args: [...BASE_ARGS, ...WEBGPU_ARGS] },
      },
    },
    {
      name: 'webgl',
      testIgnore: [/(packed|demo|backend-choice)\.spec\.ts/, /e2e\/faults\//],
      use: {
        backends: ['webgl', 'cpu'],
        expectedBackend: 'webgl',
        launchOptions: { executablePath: CHROMIUM, args: [...BASE_ARGS, ...WEBGL_ARGS] },
      },
    },
    {
      // Plain headless Chromium, no GPU flags: what most visitors without a fast GPU get.
      name: 'wasm',
      testIgnore: [/(packed|demo)\.spec\.ts/, /e2e\/faults\//],
      use: { backends: ['wasm', 'cpu'], expectedBackend: 'wasm', launchOptions: { executablePath: CHROMIUM, args: BASE_ARGS } },
    },
    {
      name: 'cpu',
      testIgnore: [/(packed|demo|backend-choice)\.spec\.ts/, /e2e\/faults\//],
      use: { backends: ['cpu'], expectedBackend: 'cpu', launchOptions: { executablePath: CHROMIUM, args: BASE_ARGS } },
    },
    // The fault-injection suite (e2e/faults/, `npm run test:faults`): the same browsers, one project per backend.
    // GPU loss applies only where a GPU backend is in use; faults that never touch tfjs (storage, input,
    // models' network and cache handling, privacy, migration) run once, in faults-cpu.
    {
      name: 'faults-webgpu',
      testMatch: /e2e\/faults\/.*\.spec\.ts/,
      testIgnore: BACKEND_INDEPENDENT_FAULTS,
      use: {
        backends: ['webgpu', 'webgl', 'cpu'],
        expectedBackend: 'webgpu',
        launchOptions: { executablePath: CHROMIUM, args: [...BASE_ARGS, ...WEBGPU_ARGS, ...WEBGL_ARGS.slice(1)] },
      },
    },
    {
      name: 'faults-webgl',
      testMatch: /e2e\/faults\/.*\.spec\.ts/,
      testIgnore: BACKEND_INDEPENDENT_FAULTS,
      use: {
        backends: ['webgl', 'cpu'],
        expectedBackend: 'webgl',
        launchOptions: { executablePath: CHROMIUM, args: [...BASE_ARGS, ...WEBGL_ARGS] },
      },
    },
    {
      name: 'faults-cpu',
      testMatch: /e2e\/faults\/.*\.spec\.ts/,
      testIgnore: /e2e\/faults\/gpu-loss\.spec\.ts/,
      use: { backends: ['cpu'], expectedBackend: 'cpu', launchOptions: { executablePath: CHROMIUM, args: BASE_ARGS } },
    },
    {
      // The MovieLens demo with WebGPU unavailable (no WebGPU flags): it must fall back and say why.
      name: 'demo',
      testMatch: /demo\.spec\.ts/,
      grepInvert: /WebGL/,
      use: { baseURL: DEMO_URL, launchOptions: { executablePath: CHROMIUM, args: BASE_ARGS } },
    },
    {
      name: 'demo-webgl',
      testMatch: /demo\.spec\.ts/,
      grep: /WebGL/,
      use: { baseURL: DEMO_URL, launchOptions: { executablePath: CHROMIUM, args: [...BASE_ARGS, ...WEBGL_ARGS] } },
    },
    {
      // The npm-packed tarball in a separate vite app (needs `npm run build` first).
      name: 'packed',
      testMatch: /packed\.spec\.ts/,
      use: { backends: ['cpu'], expectedBackend: 'cpu', launchOptions: { executablePath: CHROMIUM, args: BASE_ARGS } },
    },
  ],
});
