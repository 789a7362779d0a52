/** Shared by the sequence-model tests (not a test file itself). */

/** Largest absolute difference between two score rows, padding column 0 excluded. */
export function maxAbsDiff(a: Float32Array, b: Float32Array): number {
  let m = 0;
  for (let i = 1; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
}
