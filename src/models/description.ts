/**
 * A model as plain data, apart from any core: what every file reader parses into (our model files,
 * TF.js model.json, ONNX), and the one path from it to a model. Reading a file and loading it are two
 * steps: a reader checks its own format and returns a `ModelDescription`; `modelFromDescription`
 * checks that the layers rebuild and make exactly the described weights (names, shapes, finite
 * values) BEFORE a core is touched, then builds the model on the caller's core (or one of its own)
 * and sets the weights; `loadDescribedWeights` sets them on a model you already have.
 */
import { loadCore, type Core } from '../core/index.js';
import { ArgumentError, ModelFileError } from '../errors.js';
import { layerFromConfig, type Layer, type LayerConfig } from '../layers/index.js';
import type { Shape } from '../layers/layer.js';
import { cut } from '../util/schema.js';
import { plannedSizes } from './plan.js';
import { Sequential } from './sequential.js';
import type { ArchitectureInfo, CompileOptions, WeightTensor } from './types.js';

export interface ModelDescription {
  /** The model's name (`"mlp"`, `"sequential"`, …). */
  name: string;
  /** Per-sample input shape, e.g. [784] or [28, 28, 1]. */
  inputShape: number[];
  /** The initialisation seed (the weights below replace the initial ones). Default 0. */
  seed?: number;
  layers: LayerConfig[];
  /** Every parameter in layer order, as the layers make them: `dense_1/kernel` [784, 300], … */
  weights: WeightTensor[];
  /** Compile with these after loading; absent: the model stays uncompiled. */
  compile?: CompileOptions;
  /** The factory record (informational; the layers are what is rebuilt). */
  architecture?: ArchitectureInfo;
  /** One name per class (the model's `classNames`), when the file names them. */
  classNames?: string[];
}

/** The parameters (name, shape) that `layers` make on `inputShape`, in order; nothing is allocated. */
export function plannedParameters(
  inputShape: readonly number[],
  layers: readonly LayerConfig[],
  source: string,
  what = 'the header describes an invalid model',
): { name: string; shape: Shape }[] {
  try {
    return plannedSizes(inputShape, fromConfigs(layers)).slots;
  } catch (error) {
    throw new ModelFileError(source, `${what}: ${(error as Error).message}`, { cause: error });
  }
}

function fromConfigs(configs: readonly LayerConfig[]): Layer[] {
  return configs.map((config) => {
    try {
      return layerFromConfig(config);
    } catch (error) {
      const name = typeof config?.name === 'string' ? `layer ${JSON.stringify(cut(config.name, 40))}: ` : '';
      throw new ArgumentError((error as ArgumentError).argument ?? 'layers', `${name}${(error as Error).message}`);
    }
  });
}

/**
 * That the description's weights are exactly what its layers make (names, shapes, order) and finite.
 * @throws ModelFileError naming `source`, the tensor and the problem.
 */
export function checkDescription(description: ModelDescription, source: string): void {
  const fail = (problem: string): never => {
    throw new ModelFileError(source, problem);
  };
  const slots = plannedParameters(description.inputShape, description.layers, source);
  const weights = description.weights;
  if (weights.length !== slots.length) {
    fail(
      `the layers make ${slots.length} weight tensors (${cut(slots.map((s) => s.name).join(', '), 200)}), the file has ${weights.length}`,
    );
  }
  slots.forEach((slot, i) => {
    const { name, shape, values } = weights[i]!;
    if (name !== slot.name) fail(`weight ${i} is ${JSON.stringify(cut(String(name), 60))}, the layers make ${JSON.stringify(slot.name)}`);
    const expected = slot.shape.reduce((a, b) => a * b, 1);
    if (shape.length !== slot.shape.length || shape.some((d, j) => d !== slot.shape[j]) || values.length !== expected) {
      fail(`${slot.name} has shape [${shape.join(', ')}] (${values.length} values), the layers need [${slot.shape.join(', ')}]`);
    }
  });
  checkFinite(weights, source);
}

/**
 * That every weight is a finite number: a valid checksum says only that the bytes arrived intact,
 * and NaN or ±Inf weights (a diverged run) would make every prediction NaN.
 * @throws ModelFileError naming `source` and the tensor.
 */
export function checkFinite(weights: readonly WeightTensor[], source: string): void {
  for (const { name, values } of weights) {
    const at = values.findIndex((v) => !Number.isFinite(v));
    if (at >= 0) throw new ModelFileError(source, `${name}[${at}] is ${values[at]}: the weights must be finite numbers`);
  }
}

export interface FromDescriptionOptions {
  /** A core of the model's own; loaded when absent. Untouched when a check fails. */
  core?: Core;
  /** How errors name the file (a path, a URL). */
  source: string;
}

/**
 * The described model, built once on `options.core` (or a core of its own), with its weights,
 * compiled when the description says how.
 * @throws ModelFileError naming `options.source` when the description does not check out (nothing
 *   is allocated on the core then); ArgumentError when the core already serves a model.
 */
export async function modelFromDescription(description: ModelDescription, options: FromDescriptionOptions): Promise<Sequential> {
  const { source } = options;
  checkDescription(description, source);
  const core = options.core ?? (await loadCore());
  let model: Sequential;
  try {
    model = new Sequential(core, {
      inputShape: description.inputShape,
      seed: description.seed ?? 0,
      name: description.name,
      layers: fromConfigs(description.layers),
    });
    model.build();
  } catch (error) {
    if (error instanceof ArgumentError && error.argument === 'core') throw error;
    throw new ModelFileError(source, `the model cannot be built: ${(error as Error).message}`, { cause: error });
  }
  model.architecture = description.architecture;
  if (description.classNames !== undefined) {
    try {
      model.classNames = description.classNames;
    } catch (error) {
      throw new ModelFileError(source, `bad class names: ${(error as Error).message}`, { cause: error });
    }
  }
  model.setWeights(description.weights);
  if (description.compile) {
    try {
      model.compile(description.compile);
    } catch (error) {
      throw new ModelFileError(source, `bad compile options: ${(error as Error).message}`, { cause: error });
    }
  }
  return model;
}

/**
 * Sets the described weights on `model`, which must have the same parameters (names and shapes).
 * @throws ModelFileError naming `source` when they differ or a weight is not finite.
 */
export function loadDescribedWeights(model: Sequential, description: ModelDescription, source: string): void {
  checkDescription(description, source);
  const slots = model.parameterSlots;
  const fits =
    slots.length === description.weights.length &&
    slots.every((slot, i) => {
      const w = description.weights[i]!;
      return w.name === slot.name && w.shape.length === slot.shape.length && w.shape.every((d, j) => d === slot.shape[j]);
    });
  if (!fits) {
    throw new ModelFileError(
      source,
      `its weights (${cut(description.weights.map((w) => `${w.name} [${w.shape.join(', ')}]`).join(', '), 200)}) do not fit the model's (${cut(slots.map((s) => `${s.name} [${s.shape.join(', ')}]`).join(', '), 200)})`,
    );
  }
  model.setWeights(description.weights);
}
