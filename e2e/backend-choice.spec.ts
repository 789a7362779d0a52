/**
 * The default backend order on machines without a real GPU: a software-emulated
 * WebGPU / WebGL (SwiftShader here) is tried after wasm, and info() says why.
 * Runs in the `webgpu` project (SwiftShader WebGPU and WebGL exposed) and the
 * `wasm` project (plain headless Chromium, no GPU flags).
 */
import { test, expect, uniqueDb } from './fixtures';

test('with the default backends, an emulated GPU is skipped for wasm and info() says why', async ({ harness }, testInfo) => {
  const info = await harness.evaluate(async (dbName) => {
    const r = await window.tastebud.createRecommender({ dbName });
    const info = await r.info();
    await r.dispose();
    return info;
  }, uniqueDb(testInfo.title));
  expect(info.backend).toBe('wasm');
  expect(info.wasm?.simd).toBe(true);
  expect(info.wasm?.threads).toBe(1);
  expect(info.wasm?.threadsOff).toMatch(/cross-origin isolated/);
  const chosen = info.backendsTried.find((a) => a.ok)!;
  expect(chosen).toMatchObject({ name: 'wasm', ok: true });
  expect(chosen.selfTestMs).toBeGreaterThanOrEqual(0);
  // Every GPU backend before it was either missing or emulated, each with its reason.
  const before = info.backendsTried.slice(0, info.backendsTried.indexOf(chosen));
  expect(before.map((a) => a.name).sort()).toEqual(['webgl', 'webgpu']);
  for (const a of before) expect(a.reason).toMatch(/software-emulated GPU|not available|no adapter|OffscreenCanvas|WebGL/);
  if (testInfo.project.name === 'webgpu') {
    expect(before.find((a) => a.name === 'webgpu')?.reason).toMatch(/software-emulated GPU \(.*swiftshader/i);
  }
});

test('a listed order is kept even when the GPU is emulated', async ({ harness, backends, expectedBackend }, testInfo) => {
  const info = await harness.evaluate(
    async ({ backends, dbName }) => {
      const r = await window.tastebud.createRecommender({ backends, dbName });
      const info = await r.info();
      await r.dispose();
      return info;
    },
    { backends, dbName: uniqueDb(testInfo.title) },
  );
  expect(info.backend).toBe(expectedBackend);
  expect(info.backendsTried.some((a) => /software-emulated/.test(a.reason ?? ''))).toBe(false);
});
