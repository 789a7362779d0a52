// The README's webpack block: nothing tastebud-specific.
export default {
  mode: 'production',
  entry: './main.js',
  output: { path: new URL('./dist', import.meta.url).pathname, clean: true },
  performance: { hints: false },
};
