/**
 * The tastebud MovieLens demo: plain DOM over the public API only. Everything
 * the visitor does is stored and ranked in their browser by the engine worker.
 */
import { createRecommender, isTastebudError, type EventType, type Recommendation, type Recommender } from '../lib/index';
import { CatalogMissingError, label, loadCatalog, toItem, type Catalog, type Movie } from './catalog';
import { renderCard, type CardActions, type Feedback } from './cards';
import { readConfig } from './config';
import { knownProfiles, rememberProfile, renderEvents, renderProfiles, renderStorage, wirePrivacy } from './privacy';
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
/** Last action's latency, click (or submit) to the updated row painted. */
let latencyMs: number | null = null;
/** How many items the user reacted to before the onboarding row gives way. */
const ONBOARDING_UNTIL = 3;
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
  track: (movie, type, value, text) => {
    void onTrack(movie, type, value, text);
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

/** Resolves once the browser has painted what the DOM holds now. */
const painted = (): Promise<void> => new Promise((resolve) => requestAnimationFrame(() => setTimeout(resolve, 0)));

/** Records an action's latency from `since` (the click) to now, after the paint. */
function logLatency(what: string, since: number): void {
  latencyMs = performance.now() - since;
  const log = $('latency-log');
  const li = document.createElement('li');
  li.textContent = `${what}: ${latencyMs.toFixed(0)} ms`;
  log.prepend(li);
  while (log.children.length > 20) log.lastElementChild?.remove();
  document.body.dataset.lastLatency = latencyMs.toFixed(0);
  // Counts the measured actions, so a reader can wait for the next one even when two take the same time.
  document.body.dataset.latencyCount = String(Number(document.body.dataset.latencyCount ?? '0') + 1);
}

function watchScrollEnd(row: HTMLElement): void {
  const update = (): void => {
    row.classList.toggle('at-end', row.scrollLeft + row.clientWidth >= row.scrollWidth - 4);
  };
  row.addEventListener('scroll', update, { passive: true });
  new ResizeObserver(update).observe(row);
  new MutationObserver(update).observe(row, { childList: true });
}

async function refreshOnboarding(): Promise<void> {
  const section = $('onboarding');
  if (feedback.size >= ONBOARDING_UNTIL) {
    section.hidden = true;
    return;
  }
  const picks = await rec.coldStartPicks({ k: 12 });
  $('onboarding-row').replaceChildren(...cards(picks));
  section.hidden = false;
}

/** Ranks "For you" again; with `since` (the click), the note says how long the visitor waited for it. */
async function refreshForYou(since?: number, what = 'update'): Promise<void> {
  const run = ++forYouRuns;
  // A first visit: popular but diverse, not the head of "Most watched".
  const recs = await rec.recommend({ k: 12, diversity: feedback.size === 0 ? 0.6 : 0.2 });
  if (run !== forYouRuns) return; // a newer refresh is on its way
  const row = $('for-you-row');
  row.replaceChildren(...cards(recs));
  row.dataset.updates = String(Number(row.dataset.updates ?? '0') + 1);
  if (since !== undefined) {
    await painted();
    logLatency(what, since);
  }
  $('for-you-note').textContent =
    feedback.size === 0
      ? 'Popular picks that differ from each other. Like, dislike, rate or review a few: this row learns from them, on this device.'
      : since !== undefined && latencyMs !== null
        ? `Updated ${latencyMs.toFixed(0)} ms after your click, from your ${feedback.size} movies.`
        : `Ranked from your ${feedback.size} movies.`;
}

async function renderBrowse(since?: number): Promise<void> {
  const grid = $('browse-grid');
  const more = $<HTMLButtonElement>('browse-more');
  if (searchQuery !== '') {
    const results = await rec.search(searchQuery, { k: 24 });
    if (since !== undefined) void painted().then(() => logLatency('search', since));
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

async function refreshYourData(): Promise<void> {
  renderEvents($('your-events'), await rec.history({ limit: 5000 }), catalog.byId, (itemId) => void removeItem(itemId));
}

/** "Remove" in Your data: the history without that movie's events replaces the stored one (one transaction). */
async function removeItem(itemId: string): Promise<void> {
  const data = await rec.exportData();
  await rec.importData({ ...data, events: data.events.filter((e) => e.itemId !== itemId) }, { mode: 'replace' });
  await refreshAll();
  const movie = catalog.byId.get(itemId);
  announce(`Removed ${movie ? label(movie) : itemId} from your data.`);
}

/** The pressed state follows the click at once; the stored history confirms it after. */
function pressNow(movie: Movie, type: EventType, value?: number): void {
  const f = feedback.get(movie.id) ?? { liked: false, disliked: false, rating: null };
  if (type === 'like' || type === 'dislike') {
    f.liked = type === 'like';
    f.disliked = type === 'dislike';
  }
  if (type === 'rate' && value !== undefined) f.rating = value;
  feedback.set(movie.id, f);
  for (const card of document.querySelectorAll<HTMLElement>(`.card[data-item-id="${CSS.escape(movie.id)}"]`)) {
    card.querySelector('button.like')?.setAttribute('aria-pressed', String(f.liked));
    card.querySelector('button.dislike')?.setAttribute('aria-pressed', String(f.disliked));
  }
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
async function onTrack(movie: Movie, type: EventType, value?: number, text?: string): Promise<void> {
  const clicked = performance.now();
  pressNow(movie, type, value);
  try {
    await rec.track({ itemId: movie.id, type, ...(value === undefined ? {} : { value }), ...(text === undefined ? {} : { text }) });
    await readFeedback();
    await refreshForYou(clicked, type);
    const verb = type === 'rate' ? `Rated ${value ?? ''} ★` : type === 'like' ? 'Liked' : type === 'review' ? 'Reviewed' : 'Disliked';
    announce(`${verb} ${label(movie)}. “For you” is updated.`);
    await Promise.all([renderBrowse(), refreshOnboarding(), refreshYourData(), refreshStatus()]);
  } catch (err) {
    announce(`Could not save that: ${errorText(err)}`);
  }
}

async function refreshAll(): Promise<void> {
  await readFeedback();
  await Promise.all([refreshForYou(), renderBrowse(), refreshOnboarding(), refreshYourData(), refreshStatus()]);
}

/** Which catalog version each demo database holds: a reload with the same catalog stores nothing. */
const storedCatalogKey = (): string => `tastebud-demo:catalog:${config.dbName}`;

/** Stores the catalog and encodes it in the worker; resolves as soon as the items are stored, encoding goes on. */
async function storeCatalog(): Promise<void> {
  // The browser may have cleared IndexedDB but kept localStorage: the count must agree too.
  if (localStorage.getItem(storedCatalogKey()) === catalog.version && (await rec.info()).counts.items === catalog.movies.length) {
    document.body.dataset.catalog = 'encoded';
    return;
  }
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
        localStorage.setItem(storedCatalogKey(), catalog.version);
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
    // Without shipped vectors (`?vectors=0`) encoding thousands of posters takes minutes; other calls interleave with it.
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
    const submitted = performance.now();
    searchQuery = $<HTMLInputElement>('search').value.trim();
    void renderBrowse(submitted).catch((err: unknown) => announce(`Search failed: ${errorText(err)}`));
  });
  $('more-like-close').addEventListener('click', () => {
    $('more-like').hidden = true;
  });
  for (const row of document.querySelectorAll<HTMLElement>('.row')) watchScrollEnd(row);
  $('your-data-link').addEventListener('click', () => $('privacy').focus());
  $('under-the-hood-link').addEventListener('click', () => {
    ($('under-the-hood') as HTMLDetailsElement).open = true;
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
    // Marks for the start-up breakdown (read from the Performance panel or performance.getEntriesByType('mark')).
    performance.mark('demo:recommender-ready');
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
  performance.mark('demo:catalog-stored');
  await readFeedback();
  await Promise.all([refreshForYou(), renderBrowse(), refreshOnboarding()]);
  performance.mark('demo:rows-shown');
  document.body.dataset.ready = 'true';
  logLatency('page opened → first recommendations', 0);
  await Promise.all([refreshYourData(), refreshStatus()]);
}

window.addEventListener('unhandledrejection', (event) => announce(`Something failed: ${errorText(event.reason)}`));
void boot().catch((err: unknown) =>
  showFatal('The demo failed to start', errorText(err), 'Reload the page; if it keeps failing, check the console.'),
);
