/**
 * Biased matrix factorisation for explicit ratings (the model of
 * surprise.SVD): r̂(u,i) = μ + b_u + b_i + p_u·q_i, trained by SGD on the
 * squared error with L2 regularisation. Plain typed arrays, no tfjs (SGD on
 * single ratings is faster in JS than as tensor ops).
 */
import type { MfModel } from '../common/model-format/mf';
import { mulberry32 } from '../common/random';

export interface Ratings {
  users: Int32Array;
  items: Int32Array;
  values: Float32Array;
}

export interface MfOptions {
  factors: number;
  epochs: number;
  lr: number;
  reg: number;
  /** Separate learning rate / regularisation for the biases (default: lr, reg). */
  lrBias?: number;
  regBias?: number;
  initStd: number;
  seed: number;
  /** Clip predictions to [min, max] (e.g. 1..5). */
  clip?: [number, number];
}

export const DEFAULT_MF_OPTIONS: MfOptions = { factors: 100, epochs: 20, lr: 0.005, reg: 0.02, initStd: 0.1, seed: 42 };

function gaussian(random: () => number): () => number {
  return () => {
    const u = Math.max(random(), 1e-12);
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * random());
  };
}

export function trainMf(data: Ratings, numUsers: number, numItems: number, options: Partial<MfOptions> = {}): MfModel {
  const o: MfOptions = { ...DEFAULT_MF_OPTIONS, ...options };
  const random = mulberry32(o.seed);
  const normal = gaussian(random);
  const k = o.factors;
  const P = new Float32Array(numUsers * k).map(() => normal() * o.initStd);
  const Q = new Float32Array(numItems * k).map(() => normal() * o.initStd);
  const bu = new Float32Array(numUsers);
  const bi = new Float32Array(numItems);
  const n = data.values.length;
  let mean = 0;
  for (let x = 0; x < n; x++) mean += data.values[x] as number;
  mean /= Math.max(1, n);
  const order = Int32Array.from({ length: n }, (_, i) => i);
  const lrB = o.lrBias ?? o.lr;
  const regB = o.regBias ?? o.reg;
  for (let epoch = 0; epoch < o.epochs; epoch++) {
    for (let x = n - 1; x > 0; x--) {
      const y = Math.floor(random() * (x + 1));
      const t = order[x] as number;
      order[x] = order[y] as number;
      order[y] = t;
    }
    for (let x = 0; x < n; x++) {
      const idx = order[x] as number;
      const u = data.users[idx] as number;
      const i = data.items[idx] as number;
      const pu = u * k;
      const qi = i * k;
      let dot = 0;
      for (let f = 0; f < k; f++) dot += (P[pu + f] as number) * (Q[qi + f] as number);
      const err = (data.values[idx] as number) - (mean + (bu[u] as number) + (bi[i] as number) + dot);
      bu[u] = (bu[u] as number) + lrB * (err - regB * (bu[u] as number));
      bi[i] = (bi[i] as number) + lrB * (err - regB * (bi[i] as number));
      for (let f = 0; f < k; f++) {
        const p = P[pu + f] as number;
        const q = Q[qi + f] as number;
        P[pu + f] = p + o.lr * (err * q - o.reg * p);
        Q[qi + f] = q + o.lr * (err * p - o.reg * q);
      }
    }
  }
  const model: MfModel = { numUsers, numItems, factors: k, mean, userBias: bu, itemBias: bi, userFactors: P, itemFactors: Q };
  if (o.clip) model.clip = o.clip;
  return model;
}

/** Prediction; unknown users/items (index < 0) fall back to the biases that are known. */
export function predictMf(m: MfModel, user: number, item: number): number {
  let r = m.mean;
  const knownU = user >= 0 && user < m.numUsers;
  const knownI = item >= 0 && item < m.numItems;
  if (knownU) r += m.userBias[user] as number;
  if (knownI) r += m.itemBias[item] as number;
  if (knownU && knownI) {
    const k = m.factors;
    for (let f = 0; f < k; f++) r += (m.userFactors[user * k + f] as number) * (m.itemFactors[item * k + f] as number);
  }
  if (m.clip) r = Math.min(m.clip[1], Math.max(m.clip[0], r));
  return r;
}

export function rmse(m: MfModel, data: Ratings): number {
  let s = 0;
  for (let x = 0; x < data.values.length; x++) {
    const e = predictMf(m, data.users[x] as number, data.items[x] as number) - (data.values[x] as number);
    s += e * e;
  }
  return Math.sqrt(s / Math.max(1, data.values.length));
}

/** Shuffled k-fold split of rating indices (like surprise's KFold(shuffle=True)). */
export function kFoldIndices(n: number, folds: number, seed: number): Int32Array[] {
  const random = mulberry32(seed);
  const order = Int32Array.from({ length: n }, (_, i) => i);
  for (let x = n - 1; x > 0; x--) {
    const y = Math.floor(random() * (x + 1));
    const t = order[x] as number;
    order[x] = order[y] as number;
    order[y] = t;
  }
  const out: Int32Array[] = [];
  for (let f = 0; f < folds; f++) out.push(order.slice(Math.floor((f * n) / folds), Math.floor(((f + 1) * n) / folds)));
  return out;
}

export function subset(data: Ratings, idx: Int32Array): Ratings {
  return {
    users: Int32Array.from(idx, (i) => data.users[i] as number),
    items: Int32Array.from(idx, (i) => data.items[i] as number),
    values: Float32Array.from(idx, (i) => data.values[i] as number),
  };
}
