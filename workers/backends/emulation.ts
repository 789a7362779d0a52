/**
 * Is a GPU backend running on a software rasteriser? SwiftShader, llvmpipe and
 * other CPU emulations of a GPU pass the self-test but are slower than wasm on
 * the same cores, so an unlisted default order tries them after wasm.
 */

const SOFTWARE_GPU = /swiftshader|llvmpipe|lavapipe|softpipe|software|microsoft basic render|warp/i;

/** The adapter's own words for a software WebGPU adapter, or null for a hardware one. */
export function softwareWebGpu(adapter: GPUAdapter): string | null {
  const info = (adapter as GPUAdapter & { info?: Partial<GPUAdapterInfo> & { isFallbackAdapter?: boolean } }).info;
  const legacyFallback = (adapter as GPUAdapter & { isFallbackAdapter?: boolean }).isFallbackAdapter;
  const words = [info?.vendor, info?.architecture, info?.device, info?.description].filter((w): w is string => Boolean(w)).join(' ');
  if (SOFTWARE_GPU.test(words)) return words;
  if (info?.isFallbackAdapter === true || legacyFallback === true) return words || 'fallback adapter';
  return null;
}

/** The WebGL renderer string when it names a software rasteriser, else null (also when WebGL is missing here). */
export function softwareWebGl(): string | null {
  if (typeof OffscreenCanvas === 'undefined') return null;
  const gl = (new OffscreenCanvas(1, 1).getContext('webgl2') ??
    new OffscreenCanvas(1, 1).getContext('webgl')) as WebGLRenderingContext | null;
  if (!gl) return null;
  try {
    const debug = gl.getExtension('WEBGL_debug_renderer_info');
    const renderer = String(gl.getParameter(debug ? debug.UNMASKED_RENDERER_WEBGL : gl.RENDERER) ?? '');
    return SOFTWARE_GPU.test(renderer) ? renderer : null;
  } finally {
    gl.getExtension('WEBGL_lose_context')?.loseContext();
  }
}
