/**
 * TensorFlow.js Layers format, both ways: `model.json` (`format: 'layers-model'`, a Keras `Sequential`
 * topology and a weights manifest) plus one `.bin` of little-endian f32 weights in manifest order.
 *
 * | ours                                   | TF.js / Keras                                                   |
 * |----------------------------------------|-----------------------------------------------------------------|
 * | `inputShape` [784] or [28, 28, 1]      | first layer's `batch_input_shape` [null, 784] / [null, 28, 28, 1] |
 * | Dense(units, activation, useBias)      | `Dense` (`use_bias`), kernel [in, units], bias [units]          |
 * | Conv2D(filters, k, padding)            | `Conv2D`, strides 1, `channels_last`, kernel HWIO, bias [filters] |
 * | MaxPooling2D(poolSize, strides)        | `MaxPooling2D`, square `pool_size`/`strides`, padding 'valid'   |
 * | Flatten, Activation                    | `Flatten`, `Activation`                                         |
 * | Dropout(rate)                          | `Dropout` (`rate`)                                              |
 * | BatchNormalization(momentum, epsilon)  | `BatchNormalization`, axis −1, center and scale; weights gamma, beta, moving_mean, moving_variance |
 * | activations linear, relu, sigmoid, softmax | the same names                                              |
 *
 * Both sides are Keras' layouts (DESIGN.md), so weights move as they are. Weight names are
 * `<layer name>/kernel` and `<layer name>/bias`, which is how TF.js matches them to its layers. The
 * from-scratch network (no biases) is Dense layers with `use_bias: false`. Initialisers travel as
 * Keras class names; on import an unknown one falls back to Glorot-uniform (the weights are loaded
 * over it anyway).
 *
 * The optimizer travels as Keras' `trainingConfig` (TF.js compiles a model loaded with one): sgd ↔
 * `SGD`, momentum ↔ `Momentum` (not Nesterov), adam ↔ `Adam`, with categorical cross-entropy. A
 * summed loss (the from-scratch rule) has no TF.js counterpart, so such a model is exported without
 * one. Optimizer state (Adam's moments) is not carried: in TF.js files it is the manifest's
 * `group: 'optimizer'` weights, which import skips.
 */
import { ArgumentError, describeValue, ModelFileError } from '../errors.js';
import { layerFromConfig, type ActivationName, type InitializerName, type Layer, type LayerConfig } from '../layers/index.js';
import type { Core } from '../core/index.js';
import { Sequential, type CompileOptions, type ResolvedCompileOptions } from '../models/sequential.js';
import type { ResolvedOptimizerConfig } from '../train/optimizers.js';
import { exportMetadata, PRODUCER } from './metadata.js';
import { concatBytes, littleEndianBytes, readLittleEndianF32 } from '../util/bytes.js';
import type { ModelFile } from './files.js';

/** The Keras class of each of our initialisers. */
const INITIALIZER_CLASSES: Readonly<Record<InitializerName, string>> = {
  glorotUniform: 'GlorotUniform',
  lecunNormal: 'LeCunNormal',
  heNormal: 'HeNormal',
  zeros: 'Zeros',
  ones: 'Ones',
};
const SUPPORTED_ACTIVATIONS: readonly ActivationName[] = ['linear', 'relu', 'sigmoid', 'softmax'];
const SUPPORTED_LAYERS = 'Dense, Conv2D, MaxPooling2D, Flatten, Activation, Dropout, BatchNormalization (and an InputLayer first)';

type KerasLayer = { class_name: string; config: Record<string, unknown> };

interface WeightSpec {
  name: string;
  shape: number[];
  dtype: string;
  group?: string;
  quantization?: unknown;
}

interface TrainingConfig {
  loss?: unknown;
  metrics?: unknown;
  optimizer_config?: { class_name?: unknown; config?: Record<string, unknown> };
}

interface ModelJson {
  format?: string;
  generatedBy?: string;
  convertedBy?: string | null;
  modelTopology: unknown;
  weightsManifest: { paths: string[]; weights: WeightSpec[] }[];
  trainingConfig?: TrainingConfig;
  userDefinedMetadata?: Record<string, unknown>;
}

// ---- export ---------------------------------------------------------------------------------------

/**
 * The model as TF.js Layers files: `<basename>.json` and `<basename>.weights.bin`. Pure: works in browsers.
 * @throws ArgumentError naming the layer when it has no TF.js counterpart.
 */
export function toTfjsFiles(model: Sequential, basename = 'model'): ModelFile[] {
  const weights = model.getWeights();
  const binName = `${basename}.weights.bin`;
  const layers = model.layers.map((layer, index) => kerasLayer(layer, index === 0 ? [null, ...model.inputShape] : undefined));
  const modelJson: ModelJson = {
    format: 'layers-model',
    generatedBy: PRODUCER,
    convertedBy: null,
    modelTopology: {
      class_name: 'Sequential',
      config: { name: model.name, layers },
      keras_version: 'tfjs-layers 4.22.0',
      backend: 'tensor_flow.js',
    },
    weightsManifest: [
      {
        paths: [binName],
        weights: weights.map((w) => ({ name: w.name, shape: [...w.shape], dtype: 'float32' })),
      },
    ],
    userDefinedMetadata: { fmnist: exportMetadata(model) },
  };
  const trainingConfig = kerasTrainingConfig(model.compileOptions);
  if (trainingConfig) modelJson.trainingConfig = trainingConfig;
  const total = weights.reduce((n, w) => n + w.values.length * 4, 0);
  const bin = concatBytes(
    weights.map((w) => littleEndianBytes(w.values)),
    total,
  );
  return [
    { name: `${basename}.json`, bytes: new TextEncoder().encode(JSON.stringify(modelJson)) },
    { name: binName, bytes: bin },
  ];
}

/** Keras' initializer, regularizer and constraint fields of a Dense or Conv2D config (no regularizers or constraints here). */
function weightFields(kernelInitializer: InitializerName) {
  return {
    kernel_initializer: { class_name: INITIALIZER_CLASSES[kernelInitializer], config: { seed: null } },
    bias_initializer: { class_name: 'Zeros', config: {} },
    kernel_regularizer: null,
    bias_regularizer: null,
    activity_regularizer: null,
    kernel_constraint: null,
    bias_constraint: null,
  };
}

function kerasLayer(layer: Layer, batchInputShape: (number | null)[] | undefined): KerasLayer {
  const config = layer.getConfig();
  const first = batchInputShape ? { batch_input_shape: batchInputShape, dtype: 'float32' } : {};
  const common = { name: config.name, trainable: true, ...first };
  switch (config.className) {
    case 'Dense':
      return {
        class_name: 'Dense',
        config: {
          ...common,
          units: config.units,
          activation: config.activation,
          use_bias: config.useBias,
          ...weightFields(config.kernelInitializer),
        },
      };
    case 'Conv2D':
      return {
        class_name: 'Conv2D',
        config: {
          ...common,
          filters: config.filters,
          kernel_size: [...config.kernelSize],
          strides: [1, 1],
          padding: config.padding,
          data_format: 'channels_last',
          dilation_rate: [1, 1],
          activation: config.activation,
          use_bias: config.useBias,
          ...weightFields(config.kernelInitializer),
        },
      };
    case 'MaxPooling2D':
      return {
        class_name: 'MaxPooling2D',
        config: {
          ...common,
          pool_size: [config.poolSize, config.poolSize],
          strides: [config.strides, config.strides],
          padding: 'valid',
          data_format: 'channels_last',
        },
      };
    case 'Flatten':
      return { class_name: 'Flatten', config: { ...common, data_format: 'channels_last' } };
    case 'Activation':
      return { class_name: 'Activation', config: { ...common, activation: config.activation } };
    case 'Dropout':
      return { class_name: 'Dropout', config: { ...common, rate: config.rate, noise_shape: null, seed: null } };
    case 'BatchNormalization':
      return {
        class_name: 'BatchNormalization',
        config: {
          ...common,
          axis: -1,
          momentum: config.momentum,
          epsilon: config.epsilon,
          center: true,
          scale: true,
          beta_initializer: { class_name: 'Zeros', config: {} },
          gamma_initializer: { class_name: 'Ones', config: {} },
          moving_mean_initializer: { class_name: 'Zeros', config: {} },
          moving_variance_initializer: { class_name: 'Ones', config: {} },
          beta_regularizer: null,
          gamma_regularizer: null,
          beta_constraint: null,
          gamma_constraint: null,
        },
      };
    default:
      throw new ArgumentError(
        'model',
        `layer ${JSON.stringify((config as { name?: string }).name ?? layer.name)} (${String((config as { className?: unknown }).className)}) cannot be exported to TF.js: supported layers are ${SUPPORTED_LAYERS}`,
      );
  }
}

const OPTIMIZER_CLASSES: Readonly<Record<ResolvedOptimizerConfig['type'], string>> = { sgd: 'SGD', momentum: 'Momentum', adam: 'Adam' };

/** Keras' training config for our compile options, or undefined when TF.js has no counterpart (a summed loss). */
function kerasTrainingConfig(compiled: ResolvedCompileOptions | undefined): TrainingConfig | undefined {
  if (compiled === undefined || compiled.reduction !== 'mean') return undefined;
  const { type, learningRate, momentum, beta1, beta2, epsilon } = compiled.optimizer;
  const config =
    type === 'sgd'
      ? { learningRate }
      : type === 'momentum'
        ? { learningRate, momentum, useNesterov: false }
        : { learningRate, beta1, beta2, epsilon };
  return { loss: 'categoricalCrossentropy', metrics: ['accuracy'], optimizer_config: { class_name: OPTIMIZER_CLASSES[type], config } };
}

/** Our compile options for a Keras training config we can follow, else undefined (the model stays uncompiled). */
function compileOptionsOf(trainingConfig: TrainingConfig | undefined): CompileOptions | undefined {
  const loss = trainingConfig?.loss;
  if (loss !== 'categoricalCrossentropy' && loss !== 'categorical_crossentropy') return undefined;
  const className = trainingConfig?.optimizer_config?.class_name;
  const config = trainingConfig?.optimizer_config?.config ?? {};
  const type = (Object.keys(OPTIMIZER_CLASSES) as ResolvedOptimizerConfig['type'][]).find((name) => OPTIMIZER_CLASSES[name] === className);
  if (type === undefined || (type === 'momentum' && config.useNesterov === true)) return undefined;
  const number = (key: string) => (typeof config[key] === 'number' ? (config[key] as number) : undefined);
  return {
    optimizer: {
      type,
      learningRate: number('learningRate'),
      momentum: number('momentum'),
      beta1: number('beta1'),
      beta2: number('beta2'),
      epsilon: number('epsilon'),
    },
    reduction: 'mean',
  };
}

// ---- import ---------------------------------------------------------------------------------------

/**
 * Builds our Sequential from TF.js Layers files (`model.json` and the `.bin` files its manifest
 * names, matched by file name). Nothing is half-built: a failed check throws and drops whatever was
 * made, and a `core` passed in is only used once every check has passed on a core of the import's own.
 * @throws ModelFileError naming the file and the problem: not a layers-model, a layer or activation
 *   we do not support (named), a manifest that does not match the topology, a missing or truncated
 *   `.bin`.
 */
export async function fromTfjsFiles(files: readonly ModelFile[], core: Core | undefined): Promise<Sequential> {
  const jsonFiles = files.filter((f) => f.name.toLowerCase().endsWith('.json'));
  if (jsonFiles.length !== 1) {
    throw new ModelFileError(
      jsonFiles.length === 0 ? 'model.json' : jsonFiles.map((f) => f.name).join(', '),
      `expected exactly one .json file (the TF.js model.json) among ${files.map((f) => f.name).join(', ') || 'no files'}, got ${jsonFiles.length}`,
    );
  }
  const jsonFile = jsonFiles[0]!;
  const source = jsonFile.name;
  const fail = (problem: string): never => {
    throw new ModelFileError(source, problem);
  };
  let modelJson: ModelJson;
  try {
    modelJson = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(jsonFile.bytes)) as ModelJson;
  } catch (error) {
    throw new ModelFileError(source, `not valid UTF-8 JSON (${(error as Error).message})`, { cause: error });
  }
  if (modelJson === null || typeof modelJson !== 'object') fail('expected a JSON object');
  if (modelJson.format !== undefined && modelJson.format !== 'layers-model') {
    fail(`format is ${JSON.stringify(modelJson.format)}: only TF.js Layers models ("layers-model") can be imported, not graph models`);
  }
  const { inputShape, configs } = readTopology(modelJson.modelTopology, fail);

  const specs = readManifest(modelJson, fail);
  const { bytes: weightBytes, names: binNames } = gatherWeightBytes(modelJson.weightsManifest, files, source);
  const parsed = {
    inputShape,
    configs,
    specs,
    weightBytes,
    binNames,
    name: topologyName(modelJson.modelTopology),
    source,
    compile: compileOptionsOf(modelJson.trainingConfig),
  };
  // A model claims its core for good: check on a core of our own before touching the caller's.
  if (core !== undefined) await instantiate(parsed, undefined);
  return instantiate(parsed, core);
}

interface ParsedFiles {
  inputShape: number[];
  configs: LayerConfig[];
  specs: WeightSpec[];
  weightBytes: Uint8Array;
  binNames: string[];
  name: string;
  source: string;
  compile: CompileOptions | undefined;
}

/** Makes the model and loads the weights, checking them against the parameters the layers make. */
async function instantiate(
  { inputShape, configs, specs, weightBytes, binNames, name, source, compile }: ParsedFiles,
  core: Core | undefined,
): Promise<Sequential> {
  const fail = (problem: string): never => {
    throw new ModelFileError(source, problem);
  };
  const layers = configs.map((config) => {
    try {
      return layerFromConfig(config);
    } catch (error) {
      return fail(`layer ${JSON.stringify(config.name)}: ${(error as Error).message}`);
    }
  });
  let model: Sequential;
  try {
    model = await Sequential.create({ inputShape, layers, name, core });
    model.build();
  } catch (error) {
    if (error instanceof ArgumentError && error.argument === 'core') throw error;
    return fail(`the topology is not a model we can build: ${(error as Error).message}`);
  }
  const slots = model.parameterSlots;
  const byName = new Map<string, { spec: WeightSpec; byteOffset: number }>();
  let byteOffset = 0;
  for (const spec of specs) {
    byName.set(spec.name, { spec, byteOffset });
    byteOffset += 4 * spec.shape.reduce((a, b) => a * b, 1);
  }
  if (weightBytes.length !== byteOffset) {
    throw new ModelFileError(
      binNames.join(', '),
      `${weightBytes.length < byteOffset ? 'truncated' : 'too long'}: the weights manifest of ${source} needs ${byteOffset} bytes, the file${binNames.length > 1 ? 's hold' : ' holds'} ${weightBytes.length}`,
    );
  }
  const used = new Set<string>();
  const values = slots.map((slot) => {
    const entry = byName.get(slot.name);
    if (entry === undefined) {
      return fail(
        `weightsManifest has no weight ${JSON.stringify(slot.name)} (shape [${slot.shape.join(', ')}]) that the topology needs; it lists ${specs.map((s) => s.name).join(', ') || 'none'}`,
      );
    }
    const { spec } = entry;
    if (spec.shape.length !== slot.shape.length || spec.shape.some((d, i) => d !== slot.shape[i])) {
      fail(`weightsManifest: ${spec.name} has shape [${spec.shape.join(', ')}], the topology needs [${slot.shape.join(', ')}]`);
    }
    used.add(spec.name);
    return readLittleEndianF32(weightBytes, entry.byteOffset, slot.length);
  });
  const extra = specs.filter((s) => !used.has(s.name) && s.group !== 'optimizer');
  if (extra.length > 0) fail(`weightsManifest lists weights no layer of the topology has: ${extra.map((s) => s.name).join(', ')}`);
  model.setWeights(values);
  // Training here needs a softmax output (fused with the loss); without one the model only predicts.
  if (compile && model.layers[model.layers.length - 1]!.activation === 'softmax') {
    try {
      model.compile(compile);
    } catch (error) {
      return fail(`trainingConfig: ${(error as Error).message}`);
    }
  }
  return model;
}

/** The per-sample input shape and the layer configs of a Keras Sequential topology. */
function readTopology(topology: unknown, fail: (problem: string) => never): { inputShape: number[]; configs: LayerConfig[] } {
  if (topology === null || typeof topology !== 'object') fail('modelTopology is missing');
  // Keras' own files nest the model under model_config; TF.js writes it at the top.
  const root = ((topology as { model_config?: unknown }).model_config ?? topology) as { class_name?: unknown; config?: unknown };
  if (root.class_name !== 'Sequential') {
    fail(`modelTopology is a ${JSON.stringify(root.class_name)} model: only Sequential models can be imported`);
  }
  const config = root.config as { layers?: unknown } | unknown[] | undefined;
  const layerList = Array.isArray(config) ? config : config?.layers;
  if (!Array.isArray(layerList) || layerList.length === 0) fail('modelTopology has no layers');
  let inputShape: number[] | undefined;
  const configs: LayerConfig[] = [];
  (layerList as KerasLayer[]).forEach((entry, index) => {
    const c = (entry?.config ?? {}) as Record<string, unknown>;
    const name = typeof c.name === 'string' ? c.name : `layer ${index}`;
    const where = `layer ${JSON.stringify(name)} (${String(entry?.class_name)})`;
    const unsupported = (what: string): never => fail(`${where}: ${what} is not supported`);
    if (index === 0) {
      // batch_input_shape: TF.js and Keras 2; batch_shape: a Keras 3 InputLayer.
      const batchShape = c.batch_input_shape ?? c.batch_shape;
      if (
        !Array.isArray(batchShape) ||
        batchShape.length < 2 ||
        !batchShape.slice(1).every((d) => Number.isInteger(d) && (d as number) > 0)
      ) {
        fail(`${where}: the first layer needs batch_input_shape [null, ...dimensions], got ${describeValue(batchShape)}`);
      }
      inputShape = (batchShape as number[]).slice(1);
      if (c.dtype !== undefined && c.dtype !== 'float32') unsupported(`dtype ${JSON.stringify(c.dtype)} (only float32)`);
      if (entry.class_name === 'InputLayer') return;
    }
    const activation = (key = 'activation'): ActivationName => {
      const value = c[key] ?? 'linear';
      if (!SUPPORTED_ACTIVATIONS.includes(value as ActivationName)) {
        unsupported(`activation ${JSON.stringify(value)} (supported: ${SUPPORTED_ACTIVATIONS.join(', ')})`);
      }
      return value as ActivationName;
    };
    const channelsLast = () => {
      if (c.data_format !== undefined && c.data_format !== null && c.data_format !== 'channels_last')
        unsupported(`data_format ${JSON.stringify(c.data_format)} (only channels_last)`);
    };
    const pair = (key: string): [number, number] => {
      const value = c[key];
      const list = typeof value === 'number' ? [value, value] : value;
      if (!Array.isArray(list) || list.length !== 2 || !list.every((d) => Number.isInteger(d) && d > 0))
        fail(`${where}: ${key} must be one or two positive integers, got ${describeValue(value)}`);
      return list as [number, number];
    };
    switch (entry?.class_name) {
      case 'Dense':
        configs.push({
          className: 'Dense',
          name,
          units: c.units as number,
          activation: activation(),
          useBias: c.use_bias !== false,
          kernelInitializer: initializerName(c.kernel_initializer),
        });
        return;
      case 'Conv2D': {
        channelsLast();
        const strides = c.strides === undefined ? [1, 1] : pair('strides');
        if (strides[0] !== 1 || strides[1] !== 1) unsupported(`strides ${JSON.stringify(c.strides)} (only 1)`);
        const dilation = c.dilation_rate === undefined ? [1, 1] : pair('dilation_rate');
        if (dilation[0] !== 1 || dilation[1] !== 1) unsupported(`dilation_rate ${JSON.stringify(c.dilation_rate)} (only 1)`);
        const padding = c.padding ?? 'valid';
        if (padding !== 'valid' && padding !== 'same') unsupported(`padding ${JSON.stringify(padding)}`);
        configs.push({
          className: 'Conv2D',
          name,
          filters: c.filters as number,
          kernelSize: pair('kernel_size'),
          padding: padding as 'valid' | 'same',
          activation: activation(),
          useBias: c.use_bias !== false,
          kernelInitializer: initializerName(c.kernel_initializer),
        });
        return;
      }
      case 'MaxPooling2D': {
        channelsLast();
        const pool = pair('pool_size');
        const strides = c.strides === undefined || c.strides === null ? pool : pair('strides');
        if (pool[0] !== pool[1] || strides[0] !== strides[1])
          unsupported(`a non-square window or stride (pool_size ${JSON.stringify(pool)}, strides ${JSON.stringify(strides)})`);
        if ((c.padding ?? 'valid') !== 'valid') unsupported(`padding ${JSON.stringify(c.padding)} (only 'valid')`);
        configs.push({ className: 'MaxPooling2D', name, poolSize: pool[0], strides: strides[0] });
        return;
      }
      case 'Flatten':
        channelsLast();
        configs.push({ className: 'Flatten', name });
        return;
      case 'Activation':
        configs.push({ className: 'Activation', name, activation: activation() });
        return;
      case 'Dropout': {
        const rate = c.rate ?? 0;
        if (typeof rate !== 'number' || !(rate >= 0 && rate < 1)) fail(`${where}: rate must be in [0, 1), got ${describeValue(c.rate)}`);
        if (c.noise_shape !== undefined && c.noise_shape !== null) unsupported('noise_shape');
        configs.push({ className: 'Dropout', name, rate: rate as number });
        return;
      }
      case 'BatchNormalization': {
        const axis = c.axis ?? -1;
        const last = Array.isArray(axis) && axis.length === 1 ? axis[0] : axis;
        // Keras' and TF.js' default; a positive axis would need the running shape to tell the last axis.
        if (last !== -1) unsupported(`axis ${JSON.stringify(c.axis)} (only -1, the last axis)`);
        if (c.center === false || c.scale === false) unsupported('center or scale false (gamma and beta are required)');
        configs.push({
          className: 'BatchNormalization',
          name,
          momentum: (c.momentum ?? 0.99) as number,
          epsilon: (c.epsilon ?? 1e-3) as number,
        });
        return;
      }
      default:
        fail(`${where}: the layer class is not supported (supported: ${SUPPORTED_LAYERS})`);
    }
  });
  return { inputShape: inputShape!, configs };
}

function initializerName(value: unknown): InitializerName {
  const className = (value as { class_name?: unknown } | null)?.class_name;
  const found = (Object.keys(INITIALIZER_CLASSES) as InitializerName[]).find((name) => INITIALIZER_CLASSES[name] === className);
  return found ?? 'glorotUniform';
}

function topologyName(topology: unknown): string {
  const root = ((topology as { model_config?: unknown }).model_config ?? topology) as { config?: { name?: unknown } };
  const name = root.config?.name;
  return typeof name === 'string' && name !== '' ? name : 'sequential';
}

function readManifest(modelJson: ModelJson, fail: (problem: string) => never): WeightSpec[] {
  const manifest = modelJson.weightsManifest;
  if (!Array.isArray(manifest)) fail('weightsManifest is missing');
  const specs: WeightSpec[] = [];
  for (const group of manifest) {
    if (!Array.isArray(group?.paths) || !Array.isArray(group?.weights))
      fail('weightsManifest: each group needs "paths" and "weights" lists');
    for (const spec of group.weights) {
      if (typeof spec?.name !== 'string' || !Array.isArray(spec.shape) || !spec.shape.every((d) => Number.isInteger(d) && d >= 0)) {
        fail(`weightsManifest: bad weight entry ${JSON.stringify(spec)}`);
      }
      // Optimizer state (skipped) has an int32 step counter beside its f32 moments: 4 bytes each too.
      const allowed = spec.group === 'optimizer' ? ['float32', 'int32'] : ['float32'];
      if (!allowed.includes(spec.dtype))
        fail(`weightsManifest: ${spec.name} has dtype ${JSON.stringify(spec.dtype)}, only ${allowed.join(' or ')} is supported`);
      if (spec.quantization !== undefined) fail(`weightsManifest: ${spec.name} is quantized, which is not supported`);
      specs.push(spec);
    }
  }
  return specs;
}

/** The manifest's files, group after group and path after path, as TF.js concatenates them. */
function gatherWeightBytes(
  manifest: ModelJson['weightsManifest'],
  files: readonly ModelFile[],
  source: string,
): { bytes: Uint8Array; names: string[] } {
  const chunks: Uint8Array[] = [];
  const names: string[] = [];
  for (const group of manifest) {
    for (const path of group.paths) {
      const wanted = baseName(path);
      const file = files.find((f) => baseName(f.name) === wanted);
      if (file === undefined) {
        throw new ModelFileError(wanted, `the weights file named by ${source} is missing (given: ${files.map((f) => f.name).join(', ')})`);
      }
      chunks.push(file.bytes);
      names.push(file.name);
    }
  }
  return {
    bytes: concatBytes(
      chunks,
      chunks.reduce((n, c) => n + c.length, 0),
    ),
    names,
  };
}

function baseName(path: string): string {
  return path.split(/[\\/]/).pop()!;
}
