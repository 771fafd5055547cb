/**
 * The messages between the demo page (main.ts) and the training worker (worker.ts). Everything is
 * structured-clonable; pixel buffers travel as transferables.
 */
import type { Evaluation as LibraryEvaluation, TrainingConfig } from '../browser.js';

/** What the page's form chooses: the library's training configuration and where the data is. */
export interface TrainSettings {
  /** Its `limit` and `testLimit` also cut what is loaded. */
  config: TrainingConfig & { limit: number; testLimit: number };
  /** Base URL of the data, used when `files` is absent. */
  dataUrl: string;
  /** The page's URL, against which a relative `dataUrl` resolves (a worker's own location differs). */
  pageUrl?: string;
  /** Data files the user picked instead of a URL. */
  files?: File[];
}

export type ToWorker = { type: 'start'; settings: TrainSettings } | { type: 'stop' };

/** Test images with their true and predicted classes, for the grid. */
export interface PredictionSample {
  /** `count` images, [count, 28, 28] u8. */
  images: Uint8Array;
  /** Index of each image in the test split. */
  indices: number[];
  labels: number[];
  predictions: number[];
}

/** The library's evaluation (without the per-image predictions) and a sample for the grid. */
export type Evaluation = Omit<LibraryEvaluation, 'predictions'> & { sample: PredictionSample };

export type FromWorker =
  | { type: 'status'; text: string }
  | { type: 'unsupported'; text: string }
  | { type: 'data'; trainCount: number; testCount: number; format: 'idx' | 'csv'; source: string }
  | { type: 'model'; summary: string; parameters: number }
  | {
      type: 'batch';
      epoch: number;
      batch: number;
      batchesPerEpoch: number;
      batchLoss: number;
      loss: number;
      accuracy: number;
      imagesPerSecond: number;
    }
  | {
      type: 'epoch';
      epoch: number;
      loss: number;
      accuracy: number;
      testLoss: number;
      testAccuracy: number;
      seconds: number;
      imagesPerSecond: number;
    }
  | {
      type: 'done';
      stopped: boolean;
      evaluation: Evaluation;
      epochsCompleted: number;
      /** The trained model in the CLI's model-file format. */
      modelFile: Uint8Array;
    }
  | { type: 'error'; text: string; code?: string };
