// The README's esbuild block: bundle the app, copy the self-contained worker beside it.
import { build } from 'esbuild';
import { cpSync } from 'node:fs';

await build({ entryPoints: ['main.js'], bundle: true, format: 'esm', splitting: true, outdir: 'dist' });
cpSync('node_modules/tastebud/dist/worker', 'dist/tastebud-worker', { recursive: true });
