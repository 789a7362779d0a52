/** Shared Playwright fixtures: per-project backends and a ready harness page. */
import { test as base, expect, type Page } from '@playwright/test';
import type { BackendName, CooccurrenceTable } from '../common/types';

export interface Options {
  backends: BackendName[];
  expectedBackend: BackendName;
}

export const test = base.extend<Options & { harness: Page }>({
  backends: [['webgpu', 'webgl', 'cpu'], { option: true }],
  expectedBackend: ['cpu', { option: true }],
  harness: async ({ page }, use) => {
    const errors: string[] = [];
    page.on('pageerror', (err) => errors.push(err.message));
    await page.goto('/');
    await expect(page.locator('#status')).toHaveText('ready');
    await use(page);
    expect(errors, 'uncaught page errors').toEqual([]);
  },
});

export { expect };

/** A fresh database name per test so tests never see each other's data. */
export function uniqueDb(testTitle: string): string {
  return `tb-${testTitle.replace(/[^a-z0-9]+/gi, '-').slice(0, 40)}-${Date.now()}-${Math.random().toString(36).slice(2, 8)}`;
}

export const MOVIES = [
  { id: 'alien', text: 'Alien', tags: ['sci-fi', 'horror'], meta: { title: 'Alien' } },
  { id: 'aliens', text: 'Aliens', tags: ['sci-fi', 'action'], meta: { title: 'Aliens' } },
  { id: 'terminator', text: 'The Terminator', tags: ['sci-fi', 'action'], meta: { title: 'The Terminator' } },
  { id: 'notebook', text: 'The Notebook', tags: ['romance', 'drama'], meta: { title: 'The Notebook' } },
  { id: 'titanic', text: 'Titanic', tags: ['romance', 'drama'], meta: { title: 'Titanic' } },
  { id: 'heat', text: 'Heat', tags: ['crime', 'action'], meta: { title: 'Heat' } },
  { id: 'up', text: 'Up', tags: ['animation', 'family'], meta: { title: 'Up' } },
  { id: 'coco', text: 'Coco', tags: ['animation', 'family'], meta: { title: 'Coco' } },
];

export const POPULARITY = { titanic: 900, up: 800, heat: 500, notebook: 400, coco: 300, terminator: 200, aliens: 100, alien: 50 };

export const COOCCURRENCE: CooccurrenceTable = {
  neighbors: {
    alien: [
      ['aliens', 10],
      ['terminator', 6],
      ['heat', 1],
    ],
    aliens: [
      ['alien', 10],
      ['terminator', 8],
    ],
    notebook: [['titanic', 9]],
    up: [['coco', 9]],
  },
};
