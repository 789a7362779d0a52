/**
 * The MovieLens demo (dist-demo/ + demo/.catalog/, built by `npm run build:demo`),
 * driven like a visitor would. Screenshots go to test-results/demo-screenshots/
 * (git-ignored) for reviewers.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
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
  // A first visit: "Pick a few movies you like" with picks that differ, and a "For you" row that is not the head of "Most watched".
  await expect(page.locator('#onboarding')).toBeVisible();
  expect(await page.locator('#onboarding-row .card').count()).toBeGreaterThanOrEqual(6);
  const mostWatched = await page
    .locator('#browse-grid .card')
    .evaluateAll((cards) => cards.slice(0, 12).map((c) => (c as HTMLElement).dataset.itemId ?? ''));
  expect(initial).not.toEqual(mostWatched.slice(0, initial.length));
  await expect(page.locator('#promise')).toContainText('never leave');
  await shot(page, info, '1-start');

  const liked = await likeFirstThree(page);
  const after = await forYouIds(page);
  expect(after).not.toEqual(initial);
  for (const id of liked) expect(after).not.toContain(id);
  await expectEveryCardExplained(page);
  const reasons = await page.locator('#for-you-row .reason').allTextContents();
  // The reasons name the movies that were liked, not only "popular".
  expect(reasons.some((r) => /Because you liked|together with|Similar|Matches your taste/.test(r))).toBe(true);
  // …and more than one of them: each card cites the liked movie that raised it most.
  const likedTitles = await Promise.all(
    liked.map(async (id) =>
      ((await page.locator(`#browse-grid .card[data-item-id="${id}"] .title`).first().textContent()) ?? '').replace(/ \(\d{4}\)$/, ''),
    ),
  );
  const cited = likedTitles.filter((title) => title !== '' && reasons.some((r) => r.includes(title)));
  expect(cited.length, `liked ${likedTitles.join(', ')}; reasons: ${reasons.join(' | ')}`).toBeGreaterThanOrEqual(2);
  await expect(status).toContainText(/Last action, click to row updated: \d+ ms/);
  await expect(page.locator('#for-you-note')).toContainText(/Updated \d+ ms after your click/);
  // "Your data" lists each liked movie, removably.
  await page.locator('#your-data-link').click();
  for (const id of liked) await expect(page.locator(`#your-events li[data-item-id="${id}"]`)).toContainText('Liked');
  await shot(page, info, '2-after-three-likes');

  await page.reload();
  await expect(page.locator('body')).toHaveAttribute('data-ready', 'true', { timeout: 180_000 });
  await settled(page);
  expect(await forYouIds(page)).toEqual(after);
  for (const id of liked)
    await expect(page.locator(`#browse-grid .card[data-item-id="${id}"] button.like`)).toHaveAttribute('aria-pressed', 'true');
  await shot(page, info, '3-after-reload');

  // A review, written on a card: counted by its sentiment and listed in "Your data".
  const reviewed = page.locator('#browse-grid .card').nth(4);
  const reviewedId = (await reviewed.getAttribute('data-item-id')) ?? '';
  const updates = await page.locator('#for-you-row').getAttribute('data-updates');
  await reviewed.getByRole('button', { name: /^Review / }).click();
  await reviewed.getByRole('textbox', { name: /^Your review of / }).fill('An absolute masterpiece, I loved every minute.');
  await reviewed.getByRole('button', { name: 'Save review' }).click();
  await expect(page.locator('#for-you-row')).not.toHaveAttribute('data-updates', updates ?? '', { timeout: 120_000 });
  await page.locator('#your-data-link').click();
  await expect(page.locator(`#your-events li[data-item-id="${reviewedId}"]`)).toContainText('Reviewed: “An absolute masterpiece');
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
  // One batch of posters, encoded here (vectors=0): slow on an emulated GPU. A listed order is kept even for an emulated GPU.
  await open(page, '?limit=16&vectors=0&backends=webgl,cpu');
  await expect(page.locator('#status')).toHaveAttribute('data-backend', 'webgl');
  await settled(page);
  await expect(page.locator('#status')).toContainText(/image: [\d.]+ MB/);
  await expect(page.locator('#storage dd[data-key="Item vectors"]')).toHaveText('32');
  await likeFirstThree(page);
  await expectEveryCardExplained(page);
  await shot(page, info, '8-webgl');
});

test('"Remove" in Your data takes one movie out of the history', async ({ page }) => {
  await open(page);
  await settled(page);
  const liked = await likeFirstThree(page);
  await page.locator(`#your-events li[data-item-id="${liked[1]}"] button`).click();
  await expect(page.locator('#your-events li')).toHaveCount(2);
  await expect(page.locator(`#browse-grid .card[data-item-id="${liked[1]}"] button.like`)).toHaveAttribute('aria-pressed', 'false');
  await expect(page.locator('#storage dd[data-key="Your events (this profile)"]')).toHaveText('2');
});

/** The latency the page itself records for its last action (click or page start → row painted), in ms. */
/** The latency of the next measured action after the one counted `previous`. */
async function lastLatency(page: Page, previous: string | null): Promise<number> {
  await expect(page.locator('body')).not.toHaveAttribute('data-latency-count', previous ?? '', { timeout: 120_000 });
  return Number(await page.locator('body').getAttribute('data-last-latency'));
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor((xs.length - 1) / 2)]!;

test('the four figures on the full catalog, default URL: first visit, like, warm reload, search', async ({ page }, info) => {
  const figures: Record<string, number | number[] | string> = {};
  await page.goto('/');
  await expect(page.locator('body')).toHaveAttribute('data-ready', 'true', { timeout: 180_000 });
  figures.firstVisitMs = Number(await page.locator('body').getAttribute('data-last-latency'));
  await expect(page.locator('#for-you-row .card').first()).toBeVisible();
  await settled(page);

  const likes: number[] = [];
  for (let i = 0; i < 5; i++) {
    const before = await page.locator('body').getAttribute('data-latency-count');
    await page
      .locator('#browse-grid .card')
      .nth(i)
      .getByRole('button', { name: /^Like / })
      .click();
    likes.push(await lastLatency(page, before));
  }
  figures.likeToRowMs = likes;
  figures.likeToRowP50Ms = median(likes);

  await page.reload();
  await expect(page.locator('body')).toHaveAttribute('data-ready', 'true', { timeout: 180_000 });
  figures.warmReloadMs = Number(await page.locator('body').getAttribute('data-last-latency'));

  const searches: number[] = [];
  for (const query of ['space crew hunted by a creature', 'toys come to life', 'a heist goes wrong']) {
    const before = await page.locator('body').getAttribute('data-latency-count');
    await page.locator('#search').fill(query);
    await page.locator('#search').press('Enter');
    searches.push(await lastLatency(page, before));
  }
  figures.searchMs = searches;
  figures.searchP50Ms = median(searches);
  figures.backend = (await page.locator('#status').getAttribute('data-backend')) ?? '';
  await shot(page, info, '9-measured');

  // Targets from the issue: first visit and warm reload ≤ 1.5 s, like ≤ 150 ms (p50), search ≤ 300 ms (p50).
  const file = 'bench/results/demo.json';
  let all: Record<string, unknown> = {};
  try {
    all = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
  } catch {
    /* first run */
  }
  mkdirSync('bench/results', { recursive: true });
  all[info.project.name] = {
    ...figures,
    targets: { firstVisitMs: 1500, likeToRowP50Ms: 150, warmReloadMs: 1500, searchP50Ms: 300 },
    machine: `${process.platform} ${process.arch}, Chromium (Playwright), ${cpus().length} cores`,
  };
  writeFileSync(file, `${JSON.stringify(all, null, 2)}\n`);
  expect(figures.firstVisitMs).toBeGreaterThan(0);
  expect(likes.every((ms) => ms > 0)).toBe(true);
});
