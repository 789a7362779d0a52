/// <reference path="./wink-sentiment.d.ts" />
/**
 * A review's sentiment as a signed strength in [-1, 1], on the device
 * (wink-sentiment: AFINN lexicon with negation and emoji; docs/experiments.md
 * says why this one).
 */
import sentiment from 'wink-sentiment';

/** wink's normalized score (about −5..5) at which a review counts in full, like a like or a dislike. */
export const REVIEW_FULL_SCORE = 3;

const MEMO_SIZE = 1_024;
const memo = new Map<string, number>();

export function reviewStrength(text: string): number {
  const known = memo.get(text);
  if (known !== undefined) return known;
  const strength = Math.max(-1, Math.min(1, sentiment(text).normalizedScore / REVIEW_FULL_SCORE));
  // Profiles are rebuilt on every recommend(): keep recent reviews scored.
  if (memo.size >= MEMO_SIZE) memo.clear();
  memo.set(text, strength);
  return strength;
}
