/**
 * The int8 vector scan under a strict Content-Security-Policy: with
 * 'wasm-unsafe-eval' it runs the WASM SIMD kernel, without it compiling fails
 * and it falls back to plain JS, with the same exact top-k either way. The page
 * (e2e/scan-csp) is built here with Vite's JS API and served with the CSP header.
 */
import { createServer, type Server } from 'node:http';
import { readFileSync } from 'node:fs';
import { extname, join, resolve } from 'node:path';
import { build } from 'vite';
import { test, expect } from '@playwright/test';

const outDir = resolve(import.meta.dirname, '.artifacts/scan-csp');
let server: Server;
let base = '';
let csp = '';

test.beforeAll(async () => {
  await build({
    configFile: false,
    root: join(import.meta.dirname, 'scan-csp'),
    logLevel: 'warn',
    build: { outDir, emptyOutDir: true, target: 'es2022' },
  });
  server = createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://x').pathname;
    const file = resolve(outDir, `.${path === '/' ? '/index.html' : path}`);
    try {
      const body = readFileSync(file);
      res
        .writeHead(200, { 'content-type': extname(file) === '.html' ? 'text/html' : 'text/javascript', 'content-security-policy': csp })
        .end(body);
    } catch {
      res.writeHead(404).end();
    }
  });
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  const address = server.address();
  base = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}/`;
});

test.afterAll(() => {
  server?.close();
});

async function run(page: import('@playwright/test').Page, policy: string): Promise<{ kernel: string; exact: boolean }> {
  csp = policy;
  await page.goto(base);
  await expect(page.locator('#status')).toHaveText('done');
  return page.evaluate(() => (window as unknown as { scanResult: { kernel: string; exact: boolean } }).scanResult);
}

test('with wasm-unsafe-eval the scan runs in WASM SIMD and is exact', async ({ page }) => {
  const result = await run(page, "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'");
  expect(result).toMatchObject({ kernel: 'wasm-simd', exact: true });
});

test('without wasm-unsafe-eval the scan falls back to JS and is still exact', async ({ page }) => {
  const result = await run(page, "default-src 'self'; script-src 'self'");
  expect(result).toMatchObject({ kernel: 'js', exact: true });
});
