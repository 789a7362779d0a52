// The README's Rollup block: node-resolve for the package, the self-contained worker copied beside the bundle.
import { cpSync } from 'node:fs';
import { nodeResolve } from '@rollup/plugin-node-resolve';

export default {
  input: 'main.js',
  output: { dir: 'dist', format: 'es' },
  plugins: [
    nodeResolve({ browser: true }),
    {
      name: 'copy-tastebud-worker',
      writeBundle: () => cpSync('node_modules/tastebud/dist/worker', 'dist/tastebud-worker', { recursive: true }),
    },
  ],
};
