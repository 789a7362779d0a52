/** The privacy panel: what is stored on this device, export / import / forget, and profiles. */
import type { ExportData, Info, Recommender } from '../lib/index';
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
