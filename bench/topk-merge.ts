/** Runs the top-k benchmark (bench/topk/run.ts, another part of issue 7) when present and returns its `topk` rows. */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import type { TopkEntry } from './report';

export interface TopkRun {
  script: string;
  out: string;
  quick: boolean;
  cwd: string;
}

/** Never throws: a missing or failing script leaves a note and no rows. */
export function runTopk({ script, out, quick, cwd }: TopkRun, notes: string[]): TopkEntry[] {
  if (!existsSync(script)) {
    notes.push('top-k: bench/topk/run.ts is not in this checkout yet, so no top-k figures.');
    return [];
  }
  rmSync(out, { force: true });
  const child = spawnSync(process.execPath, ['--import', 'tsx', script, '--out', out, ...(quick ? ['--quick'] : [])], {
    cwd,
    stdio: 'inherit',
  });
  if (child.status !== 0 || !existsSync(out)) {
    notes.push(`top-k: bench/topk/run.ts exited with ${child.status ?? child.signal}; no top-k figures.`);
    return [];
  }
  try {
    const parsed = JSON.parse(readFileSync(out, 'utf8')) as { topk?: unknown };
    if (!Array.isArray(parsed.topk)) {
      notes.push('top-k: the output has no `topk` array.');
      return [];
    }
    return parsed.topk as TopkEntry[];
  } catch (err) {
    notes.push(`top-k: unreadable output (${err instanceof Error ? err.message : String(err)}).`);
    return [];
  }
}
