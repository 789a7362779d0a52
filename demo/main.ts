/**
 * The tastebud MovieLens demo: plain DOM over the public API only. Everything
 * the visitor does is stored and ranked in their browser by the engine worker.
 */
import { createRecommender, isTastebudError, type EventType, type Recommendation, type Recommender } from '../lib/index';
import { CatalogMissingError, label, loadCatalog, toItem, type Catalog, type Movie } from './catalog';
import { renderCard, type CardActions, type Feedback } from './cards';
import { readConfig } from './config';
import { knownProfiles, rememberProfile, renderProfiles, renderStorage, wirePrivacy } from './privacy';
import { ProgressBars } from './progress';
import { renderStatus } from './status';

const $ = <T extends HTMLElement = HTMLElement>(id: string): T => document.getElementById(id) as T;
const config = readConfig(location.search);
const PROFILE_KEY = 'tastebud-demo:profile';
const BROWSE_PAGE = 48;

const progress = new ProgressBars($('progress'));
let catalog: Catalog;
let rec: Recommender;
let userId = localStorage.getItem(PROFILE_KEY) ?? knownProfiles()[0] ?? 'me';
let feedback = new Map<string, Feedback>();
let latencyMs: number | null = null;
let browseCount = BROWSE_PAGE;
let searchQuery = '';
let forYouRuns = 0;

function announce(message: string): void {
  $('announce').textContent = message;
}

function showFatal(title: string, detail: string, hint: string): void {
  const box = $('fatal');
  box.hidden = false;
  box.querySelector('h2')!.textContent = title;
  box.querySelector('.detail')!.textContent = detail;
  box.querySelector('.hint')!.textContent = hint;
  $('app').hidden = true;
  document.body.dataset.state = 'error';
}

function errorText(err: unknown): string {
  if (isTastebudError(err)) return `${err.code}: ${err.message}`;
  return err instanceof Error ? err.message : String(err);
}

const actions: CardActions = {
  track: (movie, type, value) => {
    void onTrack(movie, type, value);
  },
  moreLike: (movie) => {
    void showMoreLike(movie);
  },
};

function cards(recs: Recommendation[]): HTMLElement[] {
  return recs.flatMap((r) => {
    const movie = catalog.byId.get(r.itemId);
    return movie ? [renderCard(movie, feedback.get(movie.id), actions, r.reasons)] : [];
  });
}

async function readFeedback(): Promise<void> {
  const next = new Map<string, Feedback>();
  const decided = new Set<string>();
  // Newest first: the first like / dislike and the first rating seen for an item are the current ones.
  for (const event of await rec.history({ limit: 5000 })) {
    let f = next.get(event.itemId);
    if (!f) {
      f = { liked: false, disliked: false, rating: null };
      next.set(event.itemId, f);
    }
    if ((event.type === 'like' || event.type === 'dislike') && !decided.has(event.itemId)) {
      f.liked = event.type === 'like';
      f.disliked = event.type === 'dislike';
      decided.add(event.itemId);
    }
    if (event.type === 'rate' && f.rating === null && event.value !== undefined) f.rating = event.value;
  }
  feedback = next;
}

async function refreshForYou(): Promise<void> {
  const run = ++forYouRuns;
  const started = performance.now();
  const recs = await rec.recommend({ k: 12, diversity: 0.2 });
  if (run !== forYouRuns) return; // a newer refresh is on its way
  latencyMs = performance.now() - started;
  const row = $('for-you-row');
  row.replaceChildren(...cards(recs));
  row.dataset.updates = String(Number(row.dataset.updates ?? '0') + 1);
  $('for-you-note').textContent =
    feedback.size === 0
      ? 'Like, dislike or rate a few movies below: this row learns from them, on this device.'
      : `Ranked in ${latencyMs.toFixed(0)} ms from your ${feedback.size} rated movies.`;
}

async function renderBrowse(): Promise<void> {
  const grid = $('browse-grid');
  const more = $<HTMLButtonElement>('browse-more');
  if (searchQuery !== '') {
    const results = await rec.search(searchQuery, { k: 24 });
    $('browse-title').textContent = `Search: “${searchQuery}”`;
    grid.replaceChildren(...cards(results));
    more.hidden = true;
    if (results.length === 0)
      grid.replaceChildren(Object.assign(document.createElement('p'), { textContent: 'No movie matches those words.' }));
    return;
  }
  $('browse-title').textContent = 'Most watched';
  grid.replaceChildren(...catalog.movies.slice(0, browseCount).map((m) => renderCard(m, feedback.get(m.id), actions)));
  more.hidden = browseCount >= catalog.movies.length;
}

async function refreshStatus(): Promise<void> {
  const info = await rec.info();
  renderStatus($('status'), $('model-errors'), info, latencyMs);
  renderStorage($('storage'), info);
}

async function showMoreLike(movie: Movie): Promise<void> {
  const section = $('more-like');
  const results = await rec.similar(movie.id, { k: 12 });
  section.hidden = false;
  const heading = $('more-like-title');
  heading.textContent = `More like ${label(movie)}`;
  $('more-like-row').replaceChildren(...cards(results));
  heading.focus();
  section.scrollIntoView({ block: 'nearest' });
}

/** Every action is stored, then the "For you" row is ranked again. */
async function onTrack(movie: Movie, type: EventType, value?: number): Promise<void> {
  try {
    await rec.track(value === undefined ? { itemId: movie.id, type } : { itemId: movie.id, type, value });
    await readFeedback();
    await Promise.all([refreshForYou(), renderBrowse()]);
    const verb = type === 'rate' ? `Rated ${value ?? ''} ★` : type === 'like' ? 'Liked' : 'Disliked';
    announce(`${verb} ${label(movie)}. “For you” is updated.`);
    void refreshStatus();
  } catch (err) {
    announce(`Could not save that: ${errorText(err)}`);
  }
}

async function refreshAll(): Promise<void> {
  await readFeedback();
  await Promise.all([refreshForYou(), renderBrowse(), refreshStatus()]);
}

/** Stores the catalog and encodes it in the worker; resolves as soon as the items are stored, encoding goes on. */
async function storeCatalog(): Promise<void> {
  const items = catalog.movies.map((m) => toItem(m, config.images));
  let markStored = (): void => undefined;
  const stored = new Promise<void>((resolve) => {
    markStored = resolve;
  });
  const stop = progress.onEvent((e) => {
    if (e.task === 'store-items' && e.done === e.total) markStored();
  });
  const upsert = rec
    .upsertItems(items)
    .then(
      (result) => {
        document.body.dataset.catalog = 'encoded';
        if (result.failed.length > 0) announce(`${result.failed.length} posters could not be encoded; those movies use their text only.`);
        void refreshAll();
      },
      (err: unknown) => {
        announce(`Encoding the catalog stopped: ${errorText(err)}. It resumes on the next visit.`);
      },
    )
    .finally(stop);
  await Promise.race([stored, upsert]);
}

async function start(profile: string): Promise<void> {
  userId = profile;
  localStorage.setItem(PROFILE_KEY, profile);
  rememberProfile(profile);
  renderProfiles(profile);
  rec = await createRecommender({
    userId: profile,
    dbName: config.dbName,
    models: config.models,
    persist: true,
    // Encoding thousands of posters on a CPU-only machine takes minutes; other calls interleave with it.
    timeoutMs: 600_000,
    onProgress: (event) => progress.update(event),
    ...(config.backends ? { backends: config.backends } : {}),
  });
}

async function switchProfile(profile: string): Promise<void> {
  if (profile === userId) return;
  document.body.dataset.ready = 'false';
  await rec.dispose();
  await start(profile);
  $('more-like').hidden = true;
  await refreshAll();
  announce(`Switched to profile “${profile}”.`);
  document.body.dataset.ready = 'true';
}

function wireControls(): void {
  $('browse-more').addEventListener('click', () => {
    browseCount += BROWSE_PAGE;
    void renderBrowse();
  });
  $('search-form').addEventListener('submit', (event) => {
    event.preventDefault();
    searchQuery = $<HTMLInputElement>('search').value.trim();
    void renderBrowse().catch((err: unknown) => announce(`Search failed: ${errorText(err)}`));
  });
  $('more-like-close').addEventListener('click', () => {
    $('more-like').hidden = true;
  });
  wirePrivacy({
    recommender: () => rec,
    changed: async (message) => {
      await refreshAll();
      announce(message);
    },
    switchProfile,
  });
  progress.onEvent((e) => {
    if (e.done !== e.total) return;
    // Encoding finished for a model: content signals are now complete.
    if ((e.task === 'encode-text' || e.task === 'encode-image') && e.total > 0) void refreshAll();
    if (e.task === 'load-model') void refreshStatus();
  });
}

async function boot(): Promise<void> {
  try {
    catalog = await loadCatalog(config.limit);
  } catch (err) {
    const missing = err instanceof CatalogMissingError;
    showFatal(
      'The movie catalog is not there',
      errorText(err),
      missing
        ? 'Build it from MovieLens with `npm run demo` (it prints where to get the dataset if it is missing), then reload.'
        : 'The catalog file could not be read. Rebuild it with `npm run demo`.',
    );
    return;
  }
  try {
    await start(userId);
  } catch (err) {
    showFatal('The recommender could not start', errorText(err), 'Try another browser, or check the console. Nothing was sent anywhere.');
    return;
  }
  wireControls();
  // The grid needs nothing from the worker, which may be busy loading models: show it at once.
  $('for-you-note').textContent = 'Loading the models…';
  await renderBrowse();
  void refreshStatus();
  await storeCatalog();
  await readFeedback();
  await renderBrowse();
  await Promise.all([refreshForYou(), refreshStatus()]);
  document.body.dataset.ready = 'true';
}

window.addEventListener('unhandledrejection', (event) => announce(`Something failed: ${errorText(event.reason)}`));
void boot().catch((err: unknown) =>
  showFatal('The demo failed to start', errorText(err), 'Reload the page; if it keeps failing, check the console.'),
);
