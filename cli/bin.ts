#!/usr/bin/env node
/** The published `tastebud` bin (bundled into dist/cli/tastebud.js by `vite build --mode cli`). */
import { main } from './index';

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  () => {
    process.exitCode = 1;
  },
);
