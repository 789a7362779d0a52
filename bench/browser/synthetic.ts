/** Synthetic catalogs, histories, texts and posters for the bench page (no MovieLens). */
import type { Item, TrackEvent } from '../../common/types';
import { mulberry32 } from '../../common/random';

const GENRES = [
  'action',
  'adventure',
  'animation',
  'children',
  'comedy',
  'crime',
  'documentary',
  'drama',
  'fantasy',
  'noir',
  'horror',
  'musical',
  'mystery',
  'romance',
  'sci-fi',
  'thriller',
  'war',
  'western',
];
const WORDS = (
  'a young woman man family city war love story world life friends team secret past journey small town police detective ' +
  'murder crew ship space planet earth future alien robot school teacher student music band singer dance king queen kingdom magic ' +
  'dragon island ocean mountain river forest night dark house ghost killer escape prison bank heist money gang boss brother sister ' +
  'father mother son daughter wedding marriage divorce summer winter christmas road trip car race horse cowboy soldier army battle ' +
  'general spy government president lawyer court trial doctor hospital virus zombie vampire monster scientist experiment time travel ' +
  'dream memory revenge betrayal hero villain truth lie old new first last lost found home village farm'
).split(' ');

/** Deterministic PRNG so every backend sees the same data. */
export const seeded = mulberry32;

export function catalogItems(n: number, prefix = 'i'): Item[] {
  return Array.from({ length: n }, (_, i) => ({
    id: `${prefix}${i + 1}`,
    tags: [GENRES[i % GENRES.length]!, GENRES[(i * 7 + 3) % GENRES.length]!],
    meta: { title: `Item ${i + 1}` },
  }));
}

/** Zipf-like counts: item 1 is the most popular. */
export function popularityCounts(n: number): Record<string, number> {
  const counts: Record<string, number> = {};
  for (let i = 0; i < n; i++) counts[`i${i + 1}`] = Math.max(1, Math.round(100_000 / (i + 1)));
  return counts;
}

export function history(n: number, catalogSize: number, seed = 5): TrackEvent[] {
  const rand = seeded(seed);
  return Array.from({ length: n }, (_, i) => ({
    itemId: `i${1 + Math.floor(rand() * catalogSize)}`,
    type: 'view' as const,
    at: 1_000_000 + i,
  }));
}

export function textItems(n: number, prefix: string, seed = 9): Item[] {
  const rand = seeded(seed);
  return Array.from({ length: n }, (_, i) => {
    const words = Array.from({ length: 25 + Math.floor(rand() * 30) }, () => WORDS[Math.floor(rand() * WORDS.length)]!);
    return { id: `${prefix}${i + 1}`, text: `Title ${i + 1}. ${words.join(' ')}.` };
  });
}

export async function posterItems(n: number, prefix: string): Promise<Item[]> {
  const items: Item[] = [];
  for (let i = 0; i < n; i++) {
    const canvas = new OffscreenCanvas(128, 192);
    const g = canvas.getContext('2d')!;
    g.fillStyle = `hsl(${(i * 47) % 360}, 70%, 50%)`;
    g.fillRect(0, 0, 128, 192);
    g.fillStyle = i % 2 ? '#fff' : '#000';
    for (let y = i % 24; y < 192; y += 24) g.fillRect(0, y, 128, 2 + (i % 7));
    items.push({ id: `${prefix}${i + 1}`, image: await canvas.convertToBlob({ type: 'image/png' }) });
  }
  return items;
}
