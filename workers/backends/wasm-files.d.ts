// Vite turns `?url` imports into the URL of the emitted file (relative to the importing chunk).
declare module '*.wasm?url' {
  const url: string;
  export default url;
}
