/**
 * On-device fine-tuning of the sequence model on one user's own history
 * (adapt()): a few Adam steps of the training objective, one step at a time
 * with a pause in between so other calls keep being answered; the adapted
 * weights are stored per user and model in IndexedDB and applied on the
 * next start, until reset() or forget().
 */
import { DEFAULTS } from '../../common/defaults';
import type { AdaptOptions, AdaptResult } from '../../common/types';
import type { Database } from '../storage/db';
import { deleteAdaptation, readAdaptation, writeAdaptation } from '../storage/adaptations';
import { weightPaths } from '../../common/model-format/ensemble';
import type { SequenceServer } from './serving/server';
import { fineTune } from './fine-tune';

/** Weights are only valid for the exact model they were fitted from (an ensemble: every member's weights file). */
export function adaptationKey(server: SequenceServer): string {
  const hashes = weightPaths(server.config).map((path) => server.manifest.files.find((f) => f.path === path)?.sha256 ?? '');
  return `${server.manifest.name}@${server.manifest.version}:${hashes.join(',')}`;
}

const pause = (): Promise<void> => new Promise((resolve) => setTimeout(resolve, 0));

export class Adaptations {
  /** Stored weights are applied once per loaded model. */
  private readonly applied = new WeakMap<SequenceServer, Promise<void>>();
  /** One fine-tuning run at a time. */
  private running: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly db: Database,
    private readonly userId: string,
  ) {}

  /** Applies this user's stored weights to a freshly loaded model (once). */
  ready(server: SequenceServer): Promise<void> {
    let done = this.applied.get(server);
    if (!done) {
      done = readAdaptation(this.db, this.userId, adaptationKey(server)).then((record) => {
        if (record) server.importWeights(record.weights);
      });
      this.applied.set(server, done);
      done.catch(() => this.applied.delete(server));
    }
    return done;
  }

  adapt(server: SequenceServer, history: Int32Array, options: AdaptOptions): Promise<AdaptResult> {
    const run = this.running.then(() => this.fineTune(server, history, options));
    this.running = run.catch(() => undefined);
    return run;
  }

  private async fineTune(server: SequenceServer, history: Int32Array, options: AdaptOptions): Promise<AdaptResult> {
    await this.ready(server);
    const started = performance.now();
    const model = adaptationKey(server);
    const run = await fineTune(server, history, {
      steps: options.steps ?? DEFAULTS.adapt.steps,
      lr: options.lr ?? DEFAULTS.adapt.lr,
      maxMs: options.maxMs ?? DEFAULTS.adapt.maxMs,
      betweenSteps: pause,
    });
    if (run.steps > 0) {
      await writeAdaptation(this.db, {
        userId: this.userId,
        model,
        weights: (await server.exportWeights()).slice().buffer,
        steps: run.steps,
        events: run.input.length,
        updatedAt: Date.now(),
      });
    }
    const { steps, input, lossBefore, lossAfter } = run;
    return {
      steps,
      ms: steps === 0 ? 0 : Math.round(performance.now() - started),
      historyItems: input.length,
      lossBefore,
      lossAfter,
      stored: steps > 0,
      model,
    };
  }

  /** Drops this user's adapted weights (stored and in memory). */
  async reset(server: SequenceServer | undefined): Promise<void> {
    await this.running;
    if (!server) return;
    await deleteAdaptation(this.db, this.userId, adaptationKey(server));
    this.forgotten(server);
  }

  /** After forget(): the stored record is gone; serve the shipped weights again. */
  forgotten(server: SequenceServer | undefined): void {
    if (!server) return;
    server.resetWeights();
    this.applied.set(server, Promise.resolve());
  }
}
