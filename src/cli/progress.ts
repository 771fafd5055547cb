/**
 * Progress on stderr: a cli-progress bar when stderr is a terminal, one line per epoch when it is
 * not (unless --json, where stdout carries the one JSON object and stderr stays quiet).
 */
import cliProgress from 'cli-progress';
import type { DownloadProgress } from '../data/download.js';
import type { Callbacks } from '../train/callbacks.js';

export interface ProgressOptions {
  /** Label before the bar, e.g. the model name or the paper's row. */
  label: string;
  epochs: number;
  /** Batches per epoch. */
  batches: number;
  json: boolean;
  /** What the per-epoch validation runs on: the test set (default) or a validation split. */
  validation?: 'test' | 'val';
  /** Called after each epoch, for commands that log or chart per-epoch results. */
  onEpochEnd?: Callbacks['onEpochEnd'];
}

export function progressCallbacks(options: ProgressOptions): Callbacks {
  const { label, epochs, batches, json } = options;
  const tty = process.stderr.isTTY === true;
  let bar: cliProgress.SingleBar | undefined;
  return {
    onEpochBegin(epoch) {
      if (!tty) return;
      bar = new cliProgress.SingleBar(
        {
          stream: process.stderr,
          format: `${label} epoch {epoch}/${epochs} {bar} {value}/{total} batches | loss {loss} | acc {accuracy} | {speed} img/s | ETA {eta_formatted}`,
          barsize: 24,
          hideCursor: true,
          clearOnComplete: true,
          etaBuffer: 50,
        },
        cliProgress.Presets.shades_classic,
      );
      bar.start(batches, 0, { epoch: epoch + 1, loss: '-', accuracy: '-', speed: '-' });
    },
    onBatchEnd(batch, logs) {
      // Redrawing costs more than a small batch's step: cli-progress throttles, we skip the format work.
      if (bar === undefined || (batch % 8 !== 0 && batch !== batches - 1)) return;
      bar.update(batch + 1, {
        loss: logs.loss.toFixed(4),
        accuracy: `${(logs.accuracy * 100).toFixed(1)}%`,
        speed: Math.round(logs.imagesPerSecond).toString(),
      });
    },
    onEpochEnd(epoch, logs) {
      bar?.stop();
      bar = undefined;
      if (!json || tty) {
        const validation =
          logs.valAccuracy === undefined
            ? ''
            : ` | ${options.validation ?? 'test'} loss ${logs.valLoss!.toFixed(4)} acc ${(logs.valAccuracy * 100).toFixed(2)}%`;
        process.stderr.write(
          `${label} epoch ${epoch + 1}/${epochs}: loss ${logs.loss.toFixed(4)} acc ${(logs.accuracy * 100).toFixed(2)}%${validation} | ${logs.seconds.toFixed(1)} s, ${Math.round(logs.imagesPerSecond)} img/s\n`,
        );
      }
      return options.onEpochEnd?.(epoch, logs);
    },
    onTrainEnd() {
      bar?.stop();
    },
  };
}

/** A download bar on stderr when it is a terminal (the data loaders' `onProgress`). */
export function downloadProgress(): (progress: DownloadProgress) => void {
  let bar: cliProgress.SingleBar | undefined;
  return (progress) => {
    if (!process.stderr.isTTY) return;
    if (bar === undefined) {
      bar = new cliProgress.SingleBar(
        { stream: process.stderr, format: 'downloading {file} {bar} {percentage}%', hideCursor: true },
        cliProgress.Presets.shades_classic,
      );
      bar.start(progress.totalBytes ?? 1, 0, { file: progress.file });
    }
    bar.setTotal(progress.totalBytes ?? progress.receivedBytes);
    bar.update(progress.receivedBytes, { file: progress.file });
    if (progress.done && progress.fileIndex === progress.fileCount - 1) bar.stop();
  };
}
