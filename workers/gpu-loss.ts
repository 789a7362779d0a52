/**
 * Watches the GPU behind the active tfjs backend and moves the engine to the
 * next backend when it is lost: a WebGPU device whose `lost` promise settles
 * (driver reset, `device.destroy()`), or a WebGL context that fires
 * `webglcontextlost` / reports `isContextLost()`. tfjs itself only logs these;
 * every later op would read zeros or hang.
 */
import * as tf from '@tensorflow/tfjs';
import type { BackendName } from '../common/types';
import { TastebudError } from '../common/errors';
import { selectBackend, type BackendChoice } from './backends/select';

interface WebGpuLike {
  device?: { lost?: Promise<{ reason?: string; message?: string }> };
}
interface WebGlLike {
  gpgpu?: { gl?: WebGLRenderingContext | WebGL2RenderingContext };
}

export interface SwitchOutcome {
  from: BackendName;
  choice: BackendChoice;
  reason: string;
}

export class GpuLossWatch {
  private lostReason: string | null = null;
  private gl: WebGLRenderingContext | WebGL2RenderingContext | null = null;
  private generation = 0;

  constructor(private backend: BackendName) {
    this.watch();
  }

  /** Why the active backend is unusable, or null while it is healthy. */
  lost(): string | null {
    if (this.lostReason === null && this.gl?.isContextLost()) this.lostReason = 'WebGL context lost';
    return this.lostReason;
  }

  /**
   * Picks the next working backend after the lost one in `candidates` (self-test
   * included) and watches it. Throws `backend-unavailable` if none is left.
   */
  async switchFrom(candidates: readonly BackendName[]): Promise<SwitchOutcome> {
    const from = this.backend;
    const reason = this.lost() ?? 'backend lost';
    const rest = candidates.slice(candidates.indexOf(from) + 1);
    if (rest.length === 0) {
      throw new TastebudError(
        'backend-unavailable',
        `The ${from} backend was lost (${reason}) and options.backends lists none after it; add 'cpu' as a last resort.`,
      );
    }
    const choice = await selectBackend(rest);
    // The lost backend's memory is gone with its device; drop what tfjs still holds for it.
    try {
      tf.removeBackend(from);
    } catch {
      /* already unusable */
    }
    this.backend = choice.backend;
    this.lostReason = null;
    this.watch();
    return { from, choice, reason };
  }

  private watch(): void {
    const generation = ++this.generation;
    this.gl = null;
    const current = tf.engine().backend as unknown;
    const onLost = (reason: string): void => {
      if (generation === this.generation) this.lostReason = reason;
    };
    if (this.backend === 'webgpu') {
      const lost = (current as WebGpuLike).device?.lost;
      void lost?.then((info) => onLost(`WebGPU device lost (${info.reason ?? 'unknown'}${info.message ? `: ${info.message}` : ''})`));
    } else if (this.backend === 'webgl') {
      const gl = (current as WebGlLike).gpgpu?.gl ?? null;
      this.gl = gl;
      // In a worker tfjs draws on an OffscreenCanvas.
      const canvas = (gl as { canvas?: OffscreenCanvas } | null)?.canvas;
      canvas?.addEventListener('webglcontextlost', () => onLost('WebGL context lost'));
    }
  }
}
