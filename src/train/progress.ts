/**
 * How a training run shows its progress. On a terminal: a cli-progress bar per epoch (update,
 * loss, learning rate, images per second, ETA) on the progress stream, cleared when the epoch's
 * metrics line is printed. Elsewhere (a pipe, a log file, a test): plain lines, the epoch rows
 * and a running line every `every` updates, so that logs stay readable.
 */
import cliProgress from 'cli-progress';
import type { IterationEvent } from './loop.js';

export type ProgressStream = NodeJS.WritableStream & { isTTY?: boolean; columns?: number };

export interface ProgressReporter {
  /** For TrainRun.onIteration. */
  onIteration(event: IterationEvent): void;
  /** For TrainRun.onProgress: epoch rows and messages. */
  onProgress(line: string): void;
  /** Running lines every this many updates (0 with a bar, which shows them). */
  readonly progressEvery: number;
  /** Removes the bar, if one is showing. */
  stop(): void;
}

export function progressReporter(out: (line: string) => void, stream: ProgressStream | undefined, every: number): ProgressReporter {
  if (!stream?.isTTY) return { onIteration: () => undefined, onProgress: out, progressEvery: every, stop: () => undefined };
  let bar: cliProgress.SingleBar | null = null;
  let epoch = -1;
  let started = 0;
  let images = 0;
  const stop = () => {
    bar?.stop();
    bar = null;
  };
  return {
    progressEvery: 0,
    onIteration(e) {
      const total = e.itersPerEpoch ?? 1;
      const at = e.iterationInEpoch ?? 1;
      if (e.epoch !== epoch || !bar) {
        stop();
        epoch = e.epoch;
        started = performance.now();
        images = 0;
        bar = new cliProgress.SingleBar(
          {
            stream,
            format: `epoch ${e.epoch} {bar} {value}/{total} | loss {loss} | lr {lr} | {rate} img/s | ETA {eta_formatted}`,
            clearOnComplete: true,
            hideCursor: true,
            barsize: 24,
            etaBuffer: 20,
          },
          cliProgress.Presets.shades_classic,
        );
        bar.start(total, Math.max(0, at - 1), { loss: '–', lr: e.lr.toPrecision(3), rate: '–' });
      }
      images += e.batchSize;
      const seconds = (performance.now() - started) / 1000;
      bar!.update(at, { loss: e.loss.toFixed(4), lr: e.lr.toPrecision(3), rate: seconds > 0 ? (images / seconds).toFixed(0) : '–' });
    },
    onProgress(line) {
      stop();
      out(line);
    },
    stop,
  };
}
