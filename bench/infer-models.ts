// The models of the inference benchmark: scratch-mlp, mlp and cnn with their `fmnist train`
// defaults (defaultTrainingConfig) and the `best` preset (TRAINING_PRESETS.best: two conv blocks
// with batch normalisation, Dense 256, dropout), each trained briefly with seed 0 on the first
// training images (one epoch; the weights' values do not matter for speed, but real data gives
// real activations: ReLU zeros, sigmoid ranges), then written as our model file, exported with our
// ONNX exporter (what onnxruntime-web loads) and our TF.js exporter (TF.js-wasm).
import { exportModel } from '../src/interop/index.js';
import { defaultTrainingConfig, serializeModel, trainAndEvaluate, TRAINING_PRESETS, type TrainingConfig } from '../src/public.js';
import { loadFashionMnist } from '../src/data/index.js';
import type { ImageSet } from '../src/data/index.js';
import type { InferModel } from './infer-runner.js';

export const INFER_MODELS = ['scratch-mlp', 'mlp', 'cnn', 'best'] as const;
export type InferModelName = (typeof INFER_MODELS)[number];

export interface TrainedInferModel extends InferModel {
  /** Test accuracy on the first 1,000 test images after the brief training (a sanity check). */
  accuracy: number;
  /** Training images and seconds. */
  trainImages: number;
  trainSeconds: number;
}

/** The training configuration of `name`: one epoch on `limit` images, seed 0. */
function config(name: InferModelName, limit: number, threads: number): TrainingConfig {
  const base: TrainingConfig = name === 'best' ? { ...TRAINING_PRESETS.best, seed: 0 } : defaultTrainingConfig(name);
  return { ...base, epochs: 1, limit, testLimit: 1000, seed: 0, threads, simd: 'strict' };
}

/** Fashion-MNIST's test split (the images every implementation predicts) and its training images. */
export async function inferData(): Promise<{ train: ImageSet; test: ImageSet }> {
  const { train, test } = await loadFashionMnist({ download: false });
  return { train, test };
}

/** Trains, serializes and exports one model (`threads` for the training only). */
export async function trainInferModel(
  name: InferModelName,
  data: { train: ImageSet; test: ImageSet },
  limit: number,
  threads: number,
): Promise<TrainedInferModel> {
  const start = performance.now();
  const result = await trainAndEvaluate(config(name, limit, threads), data, { validate: false });
  const trainSeconds = (performance.now() - start) / 1000;
  const model = result.model;
  try {
    return {
      name,
      inputShape: [...model.inputShape],
      ours: serializeModel(model),
      onnx: exportModel(model, 'onnx')[0]!.bytes,
      tfjs: exportModel(model, 'tfjs'),
      accuracy: result.evaluation.accuracy,
      trainImages: result.trainImages,
      trainSeconds,
    };
  } finally {
    model.dispose();
  }
}
