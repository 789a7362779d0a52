/**
 * The files of a ratings (biased MF) model directory and the on-device
 * fold-in of a new user. `mf.bin` holds float32 little-endian μ, b_u, b_i,
 * P (users × factors), Q (items × factors); `items.json` / `users.json` the
 * ids in index order.
 */
import { TastebudError } from '../errors';

/** A trained biased matrix factorisation: r̂(u,i) = mean + userBias[u] + itemBias[i] + userFactors[u]·itemFactors[i]. */
export interface MfModel {
  numUsers: number;
  numItems: number;
  factors: number;
  mean: number;
  userBias: Float32Array;
  itemBias: Float32Array;
  /** numUsers × factors */
  userFactors: Float32Array;
  /** numItems × factors */
  itemFactors: Float32Array;
  clip?: [number, number];
}

export const MF_WEIGHTS_FILE = 'mf.bin';
export const MF_ITEMS_FILE = 'items.json';
export const MF_USERS_FILE = 'users.json';

export interface MfConfig {
  factors: number;
  users: number;
  items: number;
  clip?: [number, number];
  weights: { path: string; dtype: 'float32'; byteOrder: 'little-endian'; layout: string };
  /** Files with the item / user ids in index order. */
  itemIds: string;
  userIds: string;
}

export function mfConfig(m: MfModel): MfConfig {
  return {
    factors: m.factors,
    users: m.numUsers,
    items: m.numItems,
    ...(m.clip ? { clip: m.clip } : {}),
    weights: {
      path: MF_WEIGHTS_FILE,
      dtype: 'float32',
      byteOrder: 'little-endian',
      layout: 'mean, userBias[users], itemBias[items], userFactors[users×factors], itemFactors[items×factors]',
    },
    itemIds: MF_ITEMS_FILE,
    userIds: MF_USERS_FILE,
  };
}

export function encodeMfWeights(m: MfModel): Uint8Array {
  const floats = new Float32Array(1 + m.userBias.length + m.itemBias.length + m.userFactors.length + m.itemFactors.length);
  floats[0] = m.mean;
  let o = 1;
  for (const a of [m.userBias, m.itemBias, m.userFactors, m.itemFactors]) {
    floats.set(a, o);
    o += a.length;
  }
  return new Uint8Array(floats.buffer);
}

function bad(message: string, field: string): never {
  throw new TastebudError('model-load', `Invalid ratings model: ${message}`, { field });
}

const count = (v: unknown, field: string): number =>
  typeof v === 'number' && Number.isInteger(v) && v >= 0 ? v : bad(`${field} must be a non-negative integer`, field);

/** Rebuilds the model from a verified manifest `config` and the bytes of mf.bin. */
export function decodeMfWeights(config: Record<string, unknown>, bytes: ArrayBuffer): MfModel {
  const factors = count(config.factors, 'factors');
  const users = count(config.users, 'users');
  const items = count(config.items, 'items');
  const expected = 4 * (1 + users + items + (users + items) * factors);
  if (bytes.byteLength !== expected)
    bad(
      `${MF_WEIGHTS_FILE} has ${bytes.byteLength} bytes, expected ${expected} for ${users} users, ${items} items, ${factors} factors`,
      MF_WEIGHTS_FILE,
    );
  const f = new Float32Array(bytes.slice(0));
  let o = 1;
  const take = (n: number): Float32Array => {
    const a = f.subarray(o, o + n);
    o += n;
    return a;
  };
  const model: MfModel = {
    numUsers: users,
    numItems: items,
    factors,
    mean: f[0] as number,
    userBias: take(users),
    itemBias: take(items),
    userFactors: take(users * factors),
    itemFactors: take(items * factors),
  };
  const clip = config.clip;
  if (Array.isArray(clip) && clip.length === 2 && clip.every((x) => typeof x === 'number' && Number.isFinite(x)))
    model.clip = [clip[0] as number, clip[1] as number];
  return model;
}

/**
 * A new user's bias and factors from their own ratings with the item side
 * fixed (ridge regression, closed form): how a visitor's ratings become
 * predictions on their device without retraining.
 */
export function foldInUser(
  m: MfModel,
  ratings: ReadonlyArray<readonly [item: number, rating: number]>,
  reg = 0.05,
): { bias: number; factors: Float32Array } {
  const k = m.factors;
  const n = k + 1; // [factors..., bias]
  const A = new Float64Array(n * n);
  const b = new Float64Array(n);
  for (const [item, rating] of ratings) {
    if (item < 0 || item >= m.numItems) continue;
    const x = new Float64Array(n);
    for (let f = 0; f < k; f++) x[f] = m.itemFactors[item * k + f] as number;
    x[k] = 1;
    const y = rating - m.mean - (m.itemBias[item] as number);
    for (let r = 0; r < n; r++) {
      b[r] = (b[r] as number) + (x[r] as number) * y;
      for (let c = 0; c < n; c++) A[r * n + c] = (A[r * n + c] as number) + (x[r] as number) * (x[c] as number);
    }
  }
  for (let r = 0; r < n; r++) A[r * n + r] = (A[r * n + r] as number) + reg * Math.max(1, ratings.length);
  const x = solve(A, b, n);
  return { bias: x[k] as number, factors: Float32Array.from(x.subarray(0, k)) };
}

/** Predicted rating of `item` for a folded-in user. */
export function predictFolded(m: MfModel, user: { bias: number; factors: Float32Array }, item: number): number {
  let r = m.mean + user.bias;
  if (item >= 0 && item < m.numItems) {
    r += m.itemBias[item] as number;
    for (let f = 0; f < m.factors; f++) r += (user.factors[f] as number) * (m.itemFactors[item * m.factors + f] as number);
  }
  return m.clip ? Math.min(m.clip[1], Math.max(m.clip[0], r)) : r;
}

/** Gaussian elimination with partial pivoting (A is symmetric positive definite after the ridge term). */
function solve(A: Float64Array, b: Float64Array, n: number): Float64Array {
  const a = A.slice();
  const y = b.slice();
  for (let c = 0; c < n; c++) {
    let p = c;
    for (let r = c + 1; r < n; r++) if (Math.abs(a[r * n + c] as number) > Math.abs(a[p * n + c] as number)) p = r;
    if (p !== c) {
      for (let j = 0; j < n; j++) {
        const t = a[c * n + j] as number;
        a[c * n + j] = a[p * n + j] as number;
        a[p * n + j] = t;
      }
      const t = y[c] as number;
      y[c] = y[p] as number;
      y[p] = t;
    }
    const d = a[c * n + c] as number;
    for (let r = c + 1; r < n; r++) {
      const f = (a[r * n + c] as number) / d;
      if (f === 0) continue;
      for (let j = c; j < n; j++) a[r * n + j] = (a[r * n + j] as number) - f * (a[c * n + j] as number);
      y[r] = (y[r] as number) - f * (y[c] as number);
    }
  }
  const x = new Float64Array(n);
  for (let r = n - 1; r >= 0; r--) {
    let s = y[r] as number;
    for (let j = r + 1; j < n; j++) s -= (a[r * n + j] as number) * (x[j] as number);
    x[r] = s / (a[r * n + r] as number);
  }
  return x;
}
