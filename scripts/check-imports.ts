/**
 * The import graph's rules, checked in `npm test`: each runtime folder imports
 * only the folders below it (common → lib | workers → training → cli), and no
 * module imports itself through a cycle. Type-only imports count too: a cycle
 * of types still ties two files' meanings together.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';

const root = resolve(import.meta.dirname, '..');

/** Which folders each runtime folder may import from (besides itself and packages). */
export const ALLOWED_IMPORTS: Readonly<Record<string, readonly string[]>> = Object.freeze({
  common: [],
  lib: ['common'],
  workers: ['common'],
  training: ['common', 'workers'],
  cli: ['common', 'workers', 'training'],
});

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return name === 'node_modules' ? [] : sourceFiles(path);
    return name.endsWith('.ts') && !name.endsWith('.d.ts') ? [path] : [];
  });
}

function resolveImport(from: string, specifier: string): string | null {
  const base = resolve(dirname(from), specifier);
  for (const candidate of [base, `${base}.ts`, join(base, 'index.ts')]) {
    if (existsSync(candidate) && statSync(candidate).isFile()) return candidate;
  }
  return null;
}

const IMPORT =
  /(?:^|\n)\s*(?:import|export)\b[^'"]*?from\s*['"](\.{1,2}\/[^'"]+)['"]|import\(\s*['"](\.{1,2}\/[^'"]+)['"]\s*\)|(?:^|\n)\s*import\s*['"](\.{1,2}\/[^'"]+)['"]/g;

export function importGraph(): Map<string, string[]> {
  const graph = new Map<string, string[]>();
  for (const folder of Object.keys(ALLOWED_IMPORTS)) {
    for (const file of sourceFiles(join(root, folder))) {
      const text = readFileSync(file, 'utf8');
      const targets: string[] = [];
      for (const m of text.matchAll(IMPORT)) {
        const specifier = m[1] ?? m[2] ?? m[3];
        if (!specifier || specifier.endsWith('.wasm') || specifier.endsWith('?url')) continue;
        const target = resolveImport(file, specifier);
        if (target) targets.push(target);
      }
      graph.set(file, targets);
    }
  }
  return graph;
}

const folderOf = (file: string): string => relative(root, file).split('/')[0] ?? '';

export function layerViolations(graph: Map<string, string[]>): string[] {
  const out: string[] = [];
  for (const [file, targets] of graph) {
    const from = folderOf(file);
    for (const target of targets) {
      const to = folderOf(target);
      if (to !== from && !(ALLOWED_IMPORTS[from] ?? []).includes(to))
        out.push(
          `${relative(root, file)} imports ${relative(root, target)} (${from} may import only ${[from, ...(ALLOWED_IMPORTS[from] ?? [])].join(', ')})`,
        );
    }
  }
  return out;
}

/** Strongly connected components of more than one file (Tarjan), or a file importing itself. */
export function importCycles(graph: Map<string, string[]>): string[][] {
  let next = 0;
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const cycles: string[][] = [];
  const visit = (v: string): void => {
    index.set(v, next);
    low.set(v, next++);
    stack.push(v);
    onStack.add(v);
    for (const w of graph.get(v) ?? []) {
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v)!, index.get(w)!));
    }
    if (low.get(v) === index.get(v)) {
      const component: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        onStack.delete(w);
        component.push(w);
      } while (w !== v);
      if (component.length > 1 || (graph.get(v) ?? []).includes(v)) cycles.push(component.map((f) => relative(root, f)).sort());
    }
  };
  for (const v of graph.keys()) if (!index.has(v)) visit(v);
  return cycles;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const graph = importGraph();
  const problems = [...layerViolations(graph), ...importCycles(graph).map((c) => `import cycle: ${c.join(' ↔ ')}`)];
  for (const p of problems) console.error(p);
  console.log(`import graph: ${graph.size} files, ${problems.length} problem(s)`);
  process.exit(problems.length === 0 ? 0 : 1);
}
