/** The privacy panel: what is stored on this device, export / import / forget, and profiles. */
import type { ExportData, Info, Recommender, StoredEvent } from '../lib/index';
import { label, type Movie } from './catalog';
import { formatBytes } from './status';

export interface PrivacyHooks {
  recommender(): Recommender;
  /** After import / forget the page re-reads the history and re-ranks. */
  changed(message: string): Promise<void>;
  switchProfile(userId: string): Promise<void>;
}

const PROFILES_KEY = 'tastebud-demo:profiles';

export function knownProfiles(): string[] {
  try {
    const list = JSON.parse(localStorage.getItem(PROFILES_KEY) ?? '[]') as unknown;
    return Array.isArray(list) ? list.filter((p): p is string => typeof p === 'string') : [];
  } catch {
    return [];
  }
}

export function rememberProfile(userId: string): void {
  const list = knownProfiles();
  if (!list.includes(userId)) localStorage.setItem(PROFILES_KEY, JSON.stringify([...list, userId]));
}

export function renderStorage(target: HTMLElement, info: Info): void {
  const rows: Array<[string, string]> = [
    ['Profile', info.userId],
    ['Your events (this profile)', String(info.counts.userEvents)],
    ['Events, all profiles', String(info.counts.events)],
    ['Catalog items', String(info.counts.items)],
    ['Item vectors', String(info.counts.vectors)],
    ['Storage used by this site', `${formatBytes(info.storage.usage)} of ${formatBytes(info.storage.quota)}`],
    ['Persisted (kept under storage pressure)', info.storage.persisted === 'unknown' ? 'unknown' : info.storage.persisted ? 'yes' : 'no'],
  ];
  const dl = document.createElement('dl');
  for (const [term, value] of rows) {
    const dt = document.createElement('dt');
    dt.textContent = term;
    const dd = document.createElement('dd');
    dd.textContent = value;
    dd.dataset.key = term;
    dl.append(dt, dd);
  }
  target.replaceChildren(dl);
}

/** What the user did with each movie, newest first: the current like / dislike, rating and review, each removable. */
export function renderEvents(
  target: HTMLElement,
  history: StoredEvent[],
  movies: ReadonlyMap<string, Movie>,
  remove: (itemId: string) => void,
): void {
  const byItem = new Map<string, string[]>();
  for (const event of history) {
    const parts = byItem.get(event.itemId) ?? [];
    if (!byItem.has(event.itemId)) byItem.set(event.itemId, parts);
    const has = (prefix: string): boolean => parts.some((p) => p.startsWith(prefix));
    if ((event.type === 'like' || event.type === 'dislike') && !has('Liked') && !has('Disliked'))
      parts.push(event.type === 'like' ? 'Liked' : 'Disliked');
    else if (event.type === 'rate' && !has('Rated')) parts.push(`Rated ${event.value ?? '?'} ★`);
    else if (event.type === 'review' && !has('Reviewed') && event.text !== undefined)
      parts.push(`Reviewed: “${event.text.length > 80 ? `${event.text.slice(0, 79)}…` : event.text}”`);
  }
  const heading = document.createElement('h3');
  heading.textContent = byItem.size === 0 ? 'Nothing yet: like, rate or review a movie and it shows here.' : 'What you told this page';
  const list = document.createElement('ul');
  for (const [itemId, parts] of byItem) {
    if (parts.length === 0) continue;
    const movie = movies.get(itemId);
    const name = movie ? label(movie) : itemId;
    const li = document.createElement('li');
    li.dataset.itemId = itemId;
    const text = document.createElement('span');
    text.textContent = `${parts.join(', ')}: ${name}`;
    const button = document.createElement('button');
    button.type = 'button';
    button.textContent = 'Remove';
    button.setAttribute('aria-label', `Remove ${name} from your data`);
    button.addEventListener('click', () => remove(itemId));
    li.append(text, button);
    list.append(li);
  }
  target.replaceChildren(heading, list);
}

function download(data: ExportData): void {
  const blob = new Blob([JSON.stringify(data, null, 2)], { type: 'application/json' });
  const a = document.createElement('a');
  a.href = URL.createObjectURL(blob);
  a.download = `tastebud-${data.userId}-${new Date(data.exportedAt).toISOString().slice(0, 10)}.json`;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(a.href), 10_000);
}

export function wirePrivacy(hooks: PrivacyHooks): void {
  const $ = <T extends HTMLElement>(id: string): T => document.getElementById(id) as T;
  const dialog = $<HTMLDialogElement>('forget-dialog');
  $('export').addEventListener('click', () => {
    void hooks
      .recommender()
      .exportData()
      .then(download, (err: unknown) => hooks.changed(`Export failed: ${String(err)}`));
  });
  const file = $<HTMLInputElement>('import-file');
  $('import').addEventListener('click', () => file.click());
  file.addEventListener('change', () => {
    const chosen = file.files?.[0];
    if (!chosen) return;
    void chosen
      .text()
      .then(async (text) => {
        const result = await hooks.recommender().importData(JSON.parse(text) as ExportData, { mode: 'merge' });
        await hooks.changed(`Imported ${result.imported} events (${result.skippedDuplicates} already here).`);
      })
      .catch((err: unknown) => hooks.changed(`Import failed: ${err instanceof Error ? err.message : String(err)}`))
      .finally(() => {
        file.value = '';
      });
  });
  $('forget').addEventListener('click', () => dialog.showModal());
  dialog.addEventListener('close', () => {
    if (dialog.returnValue !== 'forget') return;
    void hooks
      .recommender()
      .forget()
      .then(() => hooks.changed('Everything this profile stored on this device was deleted.'));
  });
  const profile = $<HTMLInputElement>('profile');
  $('profile-form').addEventListener('submit', (event) => {
    event.preventDefault();
    const userId = profile.value.trim();
    if (userId !== '') void hooks.switchProfile(userId);
  });
}

export function renderProfiles(current: string): void {
  const list = document.getElementById('profiles') as HTMLDataListElement;
  list.replaceChildren(...knownProfiles().map((p) => new Option(p, p)));
  (document.getElementById('profile') as HTMLInputElement).value = current;
}
