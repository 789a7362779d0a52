/** Small helpers around util.parseArgs that turn bad flags into invalid-argument errors. */
import { existsSync } from 'node:fs';
import { isAbsolute, join, resolve } from 'node:path';
import { TastebudError } from '../common/errors';

export function num(
  value: string | undefined,
  flag: string,
  fallback: number,
  opts: { int?: boolean; min?: number; max?: number } = {},
): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (
    !Number.isFinite(n) ||
    (opts.int && !Number.isInteger(n)) ||
    (opts.min !== undefined && n < opts.min) ||
    (opts.max !== undefined && n > opts.max)
  ) {
    const range = [
      opts.int ? 'an integer' : 'a number',
      opts.min !== undefined ? `>= ${opts.min}` : '',
      opts.max !== undefined ? `<= ${opts.max}` : '',
    ]
      .filter(Boolean)
      .join(' ');
    throw new TastebudError('invalid-argument', `--${flag} must be ${range}, got "${value}"`, { field: flag });
  }
  return n;
}

export function required(value: string | undefined, flag: string, usage: string): string {
  if (value === undefined || value === '') throw new TastebudError('invalid-argument', `--${flag} is required\n${usage}`, { field: flag });
  return value;
}

export const DEFAULT_DATA_DIR = '../shared/datasets';

const NAMED: Record<string, string> = {
  'ml-1m': 'ml-1m/sequences.txt',
  'ml-100k': 'ml-100k/u.data',
};

/**
 * `--interactions` is a path, or a dataset name (`ml-1m`, `ml-100k`) looked
 * up under `--data-dir` (default ../shared/datasets, relative to the current
 * directory: the repository root under `npm run cli`).
 */
export function resolveInteractions(value: string, dataDir: string | undefined): string {
  const named = NAMED[value];
  if (named && !existsSync(value)) {
    const base = dataDir ?? DEFAULT_DATA_DIR;
    return join(isAbsolute(base) ? base : resolve(base), named);
  }
  return value;
}

export function oneOf<T extends string>(value: string | undefined, flag: string, allowed: readonly T[], fallback: T): T {
  if (value === undefined) return fallback;
  if ((allowed as readonly string[]).includes(value)) return value as T;
  throw new TastebudError('invalid-argument', `--${flag} must be one of ${allowed.join(', ')}, got "${value}"`, { field: flag });
}
