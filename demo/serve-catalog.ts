/**
 * Vite plugin: serves the git-ignored MovieLens catalog (demo/.catalog) at
 * /catalog/ in `vite` and `vite preview`, so the built demo (dist-demo/) never
 * contains anything derived from MovieLens.
 */
import { createReadStream, existsSync, statSync } from 'node:fs';
import { extname, join, normalize, sep } from 'node:path';
import type { Connect, Plugin } from 'vite';

const TYPES: Record<string, string> = { '.json': 'application/json', '.jpg': 'image/jpeg', '.bin': 'application/octet-stream' };

function middleware(dir: string): Connect.NextHandleFunction {
  return (req, res, next) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    if (!url.pathname.startsWith('/catalog/')) {
      next();
      return;
    }
    const rel = normalize(decodeURIComponent(url.pathname.slice('/catalog/'.length)));
    const file = join(dir, rel);
    if (rel.startsWith('..') || !file.startsWith(dir + sep) || !existsSync(file) || !statSync(file).isFile()) {
      res.statusCode = 404;
      res.end('not found (build the demo catalog with `npm run demo`)');
      return;
    }
    res.setHeader('Content-Type', TYPES[extname(file)] ?? 'application/octet-stream');
    res.setHeader('Cache-Control', 'no-cache');
    createReadStream(file).pipe(res);
  };
}

export function serveCatalog(dir: string): Plugin {
  return {
    name: 'tastebud:demo-catalog',
    configureServer(server) {
      server.middlewares.use(middleware(dir));
    },
    configurePreviewServer(server) {
      server.middlewares.use(middleware(dir));
    },
  };
}
