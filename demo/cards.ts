/** One movie card: poster, title, genres, like / dislike / rate / review, "More like this", and the reasons it is shown. */
import type { EventType, Reason } from '../lib/index';
import { label, posterUrl, type Movie } from './catalog';

/** The engine's limit (LIMITS.reviewLength) is larger; a card keeps reviews short. */
const REVIEW_MAX_LENGTH = 1_000;

export interface CardActions {
  track(movie: Movie, type: EventType, value?: number, text?: string): void;
  moreLike(movie: Movie): void;
}

/** What the user last did with a movie, to show the pressed state. */
export interface Feedback {
  liked: boolean;
  disliked: boolean;
  rating: number | null;
}

function el<K extends keyof HTMLElementTagNameMap>(tag: K, className?: string, text?: string): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}

function button(text: string, ariaLabel: string, onClick: () => void, className: string): HTMLButtonElement {
  const b = el('button', className, text);
  b.type = 'button';
  b.setAttribute('aria-label', ariaLabel);
  b.title = ariaLabel;
  b.addEventListener('click', onClick);
  return b;
}

export function renderCard(movie: Movie, feedback: Feedback | undefined, actions: CardActions, reasons?: Reason[]): HTMLElement {
  const name = label(movie);
  const card = el('article', 'card');
  card.dataset.itemId = movie.id;
  const poster = posterUrl(movie);
  if (poster !== null) {
    const img = el('img', 'poster');
    img.src = poster;
    img.alt = `Poster of ${name}`;
    img.loading = 'lazy';
    img.width = 128;
    img.height = 192;
    card.append(img);
  } else {
    card.append(el('div', 'poster poster-missing', movie.title));
  }
  card.append(el('h3', 'title', name), el('p', 'genres', movie.genres.join(' · ')));

  const controls = el('div', 'controls');
  const like = button('♥', `Like ${name}`, () => actions.track(movie, 'like'), 'like');
  like.setAttribute('aria-pressed', String(feedback?.liked === true));
  const dislike = button('✕', `Dislike ${name}`, () => actions.track(movie, 'dislike'), 'dislike');
  dislike.setAttribute('aria-pressed', String(feedback?.disliked === true));
  const rate = el('select', 'rate');
  rate.setAttribute('aria-label', `Rate ${name}`);
  rate.append(new Option('★ rate', ''));
  for (let stars = 1; stars <= 5; stars++) rate.append(new Option('★'.repeat(stars), String(stars)));
  rate.value = feedback?.rating != null ? String(feedback.rating) : '';
  rate.addEventListener('change', () => {
    if (rate.value !== '') actions.track(movie, 'rate', Number(rate.value));
  });
  const review = el('form', 'review');
  review.hidden = true;
  const words = el('textarea');
  words.setAttribute('aria-label', `Your review of ${name}`);
  words.maxLength = REVIEW_MAX_LENGTH;
  words.rows = 3;
  words.required = true;
  const save = el('button', undefined, 'Save review');
  save.type = 'submit';
  review.append(words, save);
  review.addEventListener('submit', (event) => {
    event.preventDefault();
    if (words.value.trim() === '') return;
    actions.track(movie, 'review', undefined, words.value);
    review.hidden = true;
  });
  const write = button(
    '✎',
    `Review ${name}`,
    () => {
      review.hidden = !review.hidden;
      if (!review.hidden) words.focus();
    },
    'write-review',
  );
  controls.append(
    like,
    dislike,
    rate,
    write,
    button('More like this', `More like ${name}`, () => actions.moreLike(movie), 'more'),
  );
  card.append(controls, review);

  if (reasons) {
    const list = el('ul', 'reasons');
    // Two signals can tell the same story ("Because you liked X"): show each text once.
    const distinct = reasons.filter((r, i) => reasons.findIndex((o) => o.text === r.text) === i);
    for (const reason of distinct.slice(0, 2)) {
      const li = el('li', `reason reason-${reason.source}`, reason.text);
      li.title = `${reason.source}, ${Math.round(reason.weight * 100)} % of the score`;
      list.append(li);
    }
    card.append(list);
  }
  return card;
}
