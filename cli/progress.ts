/** Training progress: a cli-progress bar on a TTY, one line per epoch otherwise. */
import cliProgress from 'cli-progress';
import type { EpochInfo, StepInfo } from '../training/sequence/train';

export interface Progress {
  step(info: StepInfo): void;
  epoch(info: EpochInfo): void;
  log(line: string): void;
  stop(): void;
}

const fmt = (x: number | undefined, digits = 4): string => (x === undefined || !Number.isFinite(x) ? '-' : x.toFixed(digits));

/** With a time budget (`maxSeconds`) the counter shows the budget, since the epoch cap is rarely what stops training. */
export function createProgress(totalEpochs: number, quiet = false, maxSeconds?: number): Progress {
  const epochsText = maxSeconds === undefined ? `/${totalEpochs}` : ` (budget ${(maxSeconds / 60).toFixed(maxSeconds < 600 ? 1 : 0)} min)`;
  const tty = process.stderr.isTTY === true && !quiet;
  let bar: cliProgress.SingleBar | null = null;
  let lastValid: number | undefined;
  let best: number | undefined;
  const started = Date.now();
  const ensureBar = (steps: number): cliProgress.SingleBar => {
    if (!bar) {
      bar = new cliProgress.SingleBar(
        {
          stream: process.stderr,
          format:
            'epoch {epoch}{epochs} |{bar}| {value}/{total} steps | loss {loss} | valid NDCG@10 {valid} (best {best}) | epoch ETA {eta_formatted} | {elapsed}',
          hideCursor: true,
          clearOnComplete: false,
        },
        cliProgress.Presets.shades_classic,
      );
      bar.start(steps, 0, { epoch: 1, epochs: epochsText, loss: '-', valid: '-', best: '-', elapsed: '0m' });
    }
    return bar;
  };
  const elapsed = (): string => `${((Date.now() - started) / 60000).toFixed(1)}m elapsed`;
  return {
    step(info) {
      if (!tty) {
        const every = Math.max(1, Math.round(info.steps / 4));
        if (!quiet && info.step % every === 0 && info.step < info.steps)
          process.stderr.write(`  epoch ${info.epoch} step ${info.step}/${info.steps} loss ${fmt(info.loss)} ${elapsed()}\n`);
        return;
      }
      const b = ensureBar(info.steps);
      if (info.step === 1)
        b.start(info.steps, 0, {
          epoch: info.epoch,
          epochs: epochsText,
          loss: fmt(info.loss),
          valid: fmt(lastValid),
          best: fmt(best),
          elapsed: elapsed(),
        });
      b.update(info.step, { epoch: info.epoch, loss: fmt(info.loss), valid: fmt(lastValid), best: fmt(best), elapsed: elapsed() });
    },
    epoch(info) {
      if (info.valid !== undefined) lastValid = info.valid;
      if (Number.isFinite(info.best)) best = info.best;
      const line = `epoch ${info.epoch}${epochsText} loss ${fmt(info.loss)} valid NDCG@10 ${fmt(info.valid)} best ${fmt(best)} (epoch ${info.bestEpoch}) ${info.seconds.toFixed(0)}s, ${elapsed()}`;
      if (tty) bar?.update({ valid: fmt(lastValid), best: fmt(best) });
      else if (!quiet) process.stderr.write(`${line}\n`);
    },
    log(line) {
      if (quiet) return;
      if (tty && bar) {
        bar.stop();
        bar = null;
      }
      process.stderr.write(`${line}\n`);
    },
    stop() {
      if (bar) {
        (bar as cliProgress.SingleBar).stop();
        bar = null;
      }
    },
  };
}
