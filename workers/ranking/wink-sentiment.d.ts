declare module 'wink-sentiment' {
  /** `normalizedScore`: about −5 (very negative) to +5 (very positive), negation-aware. */
  export default function sentiment(phrase: string): { score: number; normalizedScore: number };
}
