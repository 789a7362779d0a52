/** Which emitted files a minified ES module pulls in statically (pure; used by the size measure). */

/** Static `import … from "./x.js"` / `import "./x.js"` specifiers of a minified ES module (not `import(…)`). */
export function staticImports(code: string): string[] {
  const out: string[] = [];
  for (const m of code.matchAll(/\bimport\s*(?:[\w$*{}\s,]+?\s*from\s*)?["']\.\/([^"']+)["']/g)) out.push(`assets/${m[1]!}`);
  return out;
}

/** All files reachable from `start` through static imports. */
export function staticClosure(files: Map<string, string>, start: string): Set<string> {
  const seen = new Set<string>();
  const stack = [start];
  while (stack.length > 0) {
    const name = stack.pop()!;
    if (seen.has(name) || !files.has(name)) continue;
    seen.add(name);
    stack.push(...staticImports(files.get(name)!));
  }
  return seen;
}
