/**
 * The MovieLens demo (dist-demo/ + demo/.catalog/, built by `npm run build:demo`),
 * driven like a visitor would. Screenshots go to test-results/demo-screenshots/
 * (git-ignored) for reviewers.
 */
import { readFileSync } from 'node:fs';
import { test, expect, type Page, type TestInfo } from '@playwright/test';

/** The 150 most watched movies, posters not encoded: keeps CI cheap (the image model is covered in content.spec.ts). */
const FAST = '?limit=150&images=0';

// Model loading and ranking share two slow cores with everything else in CI: give each test room.
test.describe.configure({ timeout: 300_000 });

async function open(page: Page, query = FAST): Promise<void> {
  const errors: string[] = [];
  page.on('pageerror', (err) => errors.push(err.message));
  await page.goto(`/${query}`);
  await expect(page.locator('body')).toHaveAttribute('data-ready', 'true', { timeout: 180_000 });
  expect(errors, 'uncaught page errors').toEqual([]);
}

async function settled(page: Page): Promise<void> {
  await expect(page.locator('body')).toHaveAttribute('data-catalog', 'encoded', { timeout: 180_000 });
  await expect(page.locator('body')).toHaveAttribute('data-busy', 'false');
}

const forYouIds = (page: Page): Promise<string[]> =>
  page.locator('#for-you-row .card').evaluateAll((cards) => cards.map((c) => (c as HTMLElement).dataset.itemId ?? ''));

async function shot(page: Page, info: TestInfo, name: string): Promise<void> {
  await page.screenshot({ path: `test-results/demo-screenshots/${info.project.name}-${name}.png`, fullPage: true });
}

async function likeFirstThree(page: Page): Promise<string[]> {
  const cards = page.locator('#browse-grid .card');
  const liked: string[] = [];
  for (let i = 0; i < 3; i++) {
    const card = cards.nth(i);
    liked.push((await card.getAttribute('data-item-id')) ?? '');
    const before = await page.locator('#for-you-row').getAttribute('data-updates');
    const like = card.getByRole('button', { name: /^Like / });
    if (i === 2) {
      // Keyboard only for the last one.
      await like.focus();
      await page.keyboard.press('Enter');
    } else {
      await like.click();
    }
    // Generous: on an emulated GPU a ranking may wait for a batch of posters to finish encoding.
    await expect(like).toHaveAttribute('aria-pressed', 'true', { timeout: 120_000 });
    await expect(page.locator('#for-you-row')).not.toHaveAttribute('data-updates', before ?? '', { timeout: 120_000 });
  }
  return liked;
}

async function expectEveryCardExplained(page: Page): Promise<void> {
  const cards = page.locator('#for-you-row .card');
  expect(await cards.count()).toBeGreaterThanOrEqual(6);
  for (const card of await cards.all()) {
    await expect(card.locator('.reason').first()).not.toBeEmpty();
    await expect(card.locator('img.poster')).toHaveAttribute('alt', /^Poster of /);
  }
}

test('like three movies: "For you" changes, every card explains itself, and a reload keeps it', async ({ page }, info) => {
  await open(page);
  await settled(page);
  const status = page.locator('#status');
  await expect(status).toContainText('Backend:');
  // No GPU flags: the emulated GPUs are skipped for wasm, threaded since the demo is cross-origin isolated.
  await expect(status).toHaveAttribute('data-backend', 'wasm');
  // Cross-origin isolated: threads are available; how many the pool starts depends on the cores.
  await expect(status).toContainText(/wasm \(SIMD, (\d+ threads|1 thread \(its thread pool has one thread on this \d+-core device\))\)/);
  await expect(status).toContainText(/not used: webgpu/);
  await expect(status).toContainText(/sequence: [\d.]+ (kB|MB)/);
  const initial = await forYouIds(page);
  expect(initial.length).toBeGreaterThan(0);
  await shot(page, info, '1-start');

  const liked = await likeFirstThree(page);
  const after = await forYouIds(page);
  expect(after).not.toEqual(initial);
  for (const id of liked) expect(after).not.toContain(id);
  await expectEveryCardExplained(page);
  const reasons = await page.locator('#for-you-row .reason').allTextContents();
  // The reasons name the movies that were liked, not only "popular".
  expect(reasons.some((r) => /Because you liked|together with|Similar|Matches your taste/.test(r))).toBe(true);
  await expect(status).toContainText(/Last recommendation: \d+ ms/);
  await shot(page, info, '2-after-three-likes');

  await page.reload();
  await expect(page.locator('body')).toHaveAttribute('data-ready', 'true', { timeout: 180_000 });
  await settled(page);
  expect(await forYouIds(page)).toEqual(after);
  for (const id of liked)
    await expect(page.locator(`#browse-grid .card[data-item-id="${id}"] button.like`)).toHaveAttribute('aria-pressed', 'true');
  await shot(page, info, '3-after-reload');
});

test('export, forget everything, import: the history and recommendations come back', async ({ page }, info) => {
  await open(page);
  await settled(page);
  await likeFirstThree(page);
  await page
    .locator('#browse-grid .card')
    .nth(4)
    .getByRole('combobox', { name: /^Rate / })
    .selectOption('5');
  await expect(page.locator('#storage dd[data-key="Your events (this profile)"]')).toHaveText('4');
  const before = await forYouIds(page);

  const downloading = page.waitForEvent('download');
  await page.locator('#export').click();
  const file = await (await downloading).path();
  const exported = JSON.parse(readFileSync(file, 'utf8')) as { format: string; events: unknown[] };
  expect(exported.format).toBe('tastebud-export');
  expect(exported.events).toHaveLength(4);

  await page.locator('#forget').click();
  await expect(page.locator('#forget-dialog')).toBeVisible();
  await shot(page, info, '4-forget-dialog');
  await page.locator('#forget-confirm').click();
  await expect(page.locator('#storage dd[data-key="Your events (this profile)"]')).toHaveText('0');
  await expect(page.locator('#browse-grid button.like[aria-pressed="true"]')).toHaveCount(0);
  expect(await forYouIds(page)).not.toEqual(before);

  await page.locator('#import-file').setInputFiles(file);
  await expect(page.locator('#storage dd[data-key="Your events (this profile)"]')).toHaveText('4');
  await expect(page.locator('#browse-grid button.like[aria-pressed="true"]')).toHaveCount(3);
  await expect.poll(() => forYouIds(page)).toEqual(before);
  await shot(page, info, '5-after-import');
});

test('search, "More like this", profiles and a phone-width screen', async ({ page }, info) => {
  await page.setViewportSize({ width: 390, height: 844 });
  await open(page);
  await settled(page);
  await page.locator('#search').fill('toys come to life');
  await page.locator('#search').press('Enter');
  await expect(page.locator('#browse-title')).toContainText('toys come to life');
  await expect(page.locator('#browse-grid .card').first()).toBeVisible();
  await expect(page.locator('#browse-grid .card .reason').first()).toContainText('Matches');

  const first = page.locator('#browse-grid .card').first();
  await first.getByRole('button', { name: /^More like / }).click();
  await expect(page.locator('#more-like-title')).toBeFocused();
  await expect(page.locator('#more-like-row .card').first()).toBeVisible();
  for (const reason of await page.locator('#more-like-row .card .reason:first-child').allTextContents())
    expect(reason.length).toBeGreaterThan(0);
  // Nothing overflows the phone-width page sideways.
  expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
  await shot(page, info, '6-phone-search-more-like');

  await page
    .locator('#browse-grid .card')
    .first()
    .getByRole('button', { name: /^Like / })
    .click();
  await expect(page.locator('#storage dd[data-key="Your events (this profile)"]')).toHaveText('1');
  await page.locator('#profile').fill('guest');
  await page.locator('#profile-form button[type="submit"]').click();
  await expect(page.locator('#storage dd[data-key="Profile"]')).toHaveText('guest');
  await expect(page.locator('#storage dd[data-key="Your events (this profile)"]')).toHaveText('0');
  await expect(page.locator('#storage dd[data-key="Events, all profiles"]')).toHaveText('1');
});

test('a model that fails to load shows a clear error, and recommendations still work', async ({ page }, info) => {
  await open(page, `${FAST}&sequence=catalog/no-such-model/manifest.json`);
  await expect(page.locator('#model-errors')).toBeVisible();
  await expect(page.locator('#model-errors')).toContainText('sequence model could not be loaded');
  await page
    .locator('#browse-grid .card')
    .first()
    .getByRole('button', { name: /^Like / })
    .click();
  await expectEveryCardExplained(page);
  await shot(page, info, '7-model-error');
});

test('with WebGL listed first it runs on WebGL, posters encoded by the image model', async ({ page }, info) => {
  // One batch of posters: encoding images on an emulated GPU is slow. A listed order is kept even for an emulated GPU.
  await open(page, '?limit=16&backends=webgl,cpu');
  await expect(page.locator('#status')).toHaveAttribute('data-backend', 'webgl');
  await settled(page);
  await expect(page.locator('#status')).toContainText(/image: [\d.]+ MB/);
  await expect(page.locator('#storage dd[data-key="Item vectors"]')).toHaveText('32');
  await likeFirstThree(page);
  await expectEveryCardExplained(page);
  await shot(page, info, '8-webgl');
});
