/**
 * TensorFlow.js Layers format, the topology both ways (export: tfjs-export.ts, import: tfjs-import.ts): `model.json` (`format: 'layers-model'`, a Keras `Sequential`
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
import { ArgumentError } from '../errors.js';
import {
  LAYER_CLASS_NAMES,
  type ActivationName,
  type InitializerName,
  type Layer,
  type LayerClassName,
  type LayerConfig,
  type LayerConfigOf,
} from '../layers/index.js';
import type { CompileOptions, ResolvedCompileOptions } from '../models/types.js';
import type { ResolvedOptimizerConfig } from '../train/optimizers.js';
import { cut, shown } from '../util/schema.js';

/** The Keras class of each of our initialisers. */
const INITIALIZER_CLASSES: Readonly<Record<InitializerName, string>> = {
  glorotUniform: 'GlorotUniform',
  lecunNormal: 'LeCunNormal',
  heNormal: 'HeNormal',
  zeros: 'Zeros',
  ones: 'Ones',
};
const SUPPORTED_ACTIVATIONS: readonly ActivationName[] = ['linear', 'relu', 'sigmoid', 'softmax'];
export const SUPPORTED_LAYERS = `${LAYER_CLASS_NAMES.join(', ')} (and an InputLayer first)`;

export type KerasLayer = { class_name: string; config: Record<string, unknown> };

export interface WeightSpec {
  name: string;
  shape: number[];
  dtype: string;
  group?: string;
  quantization?: unknown;
}

export interface KerasTrainingConfig {
  loss?: unknown;
  metrics?: unknown;
  optimizer_config?: { class_name?: unknown; config?: Record<string, unknown> };
}

export interface ModelJson {
  format?: string;
  generatedBy?: string;
  convertedBy?: string | null;
  modelTopology: unknown;
  weightsManifest: { paths: string[]; weights: WeightSpec[] }[];
  trainingConfig?: KerasTrainingConfig;
  userDefinedMetadata?: Record<string, unknown>;
}

/** A kernel layer's activation, bias and Keras' initializer, regularizer and constraint fields (no regularizers or constraints here). */
function kernelFields(config: LayerConfigOf<'Dense' | 'Conv2D'>) {
  return {
    activation: config.activation,
    use_bias: config.useBias,
    kernel_initializer: { class_name: INITIALIZER_CLASSES[config.kernelInitializer], config: { seed: null } },
    bias_initializer: { class_name: 'Zeros', config: {} },
    kernel_regularizer: null,
    bias_regularizer: null,
    activity_regularizer: null,
    kernel_constraint: null,
    bias_constraint: null,
  };
}

/** What `readTopology` hands each class's reader: the Keras config and checks that name the layer. */
interface KerasReader {
  readonly c: Record<string, unknown>;
  fail(problem: string): never;
  unsupported(what: string): never;
  activation(): ActivationName;
  channelsLast(): void;
  pair(key: string): [number, number];
}

/** Our config of a kernel layer's activation, bias and initializer. */
function kernelConfig(r: KerasReader) {
  return { activation: r.activation(), useBias: r.c.use_bias !== false, kernelInitializer: initializerName(r.c.kernel_initializer) };
}

/**
 * How each layer class travels as a Keras layer of the same class name: its config fields written
 * (after the name, `trainable` and the first layer's input shape), and read back, checked. One entry
 * per registered layer class (layers/index.ts): the compiler asks for a new class's entry here.
 */
const KERAS_LAYERS: {
  readonly [C in LayerClassName]: {
    write(config: LayerConfigOf<C>): Record<string, unknown>;
    read(r: KerasReader): Omit<LayerConfigOf<C>, 'className' | 'name'>;
  };
} = {
  Dense: {
    write: (config) => ({ units: config.units, ...kernelFields(config) }),
    read: (r) => ({ units: r.c.units as number, ...kernelConfig(r) }),
  },
  Conv2D: {
    write: (config) => ({
      filters: config.filters,
      kernel_size: [...config.kernelSize],
      strides: [1, 1],
      padding: config.padding,
      data_format: 'channels_last',
      dilation_rate: [1, 1],
      ...kernelFields(config),
    }),
    read: (r) => {
      const { c } = r;
      r.channelsLast();
      const strides = c.strides === undefined ? [1, 1] : r.pair('strides');
      if (strides[0] !== 1 || strides[1] !== 1) r.unsupported(`strides ${shown(c.strides)} (only 1)`);
      const dilation = c.dilation_rate === undefined ? [1, 1] : r.pair('dilation_rate');
      if (dilation[0] !== 1 || dilation[1] !== 1) r.unsupported(`dilation_rate ${shown(c.dilation_rate)} (only 1)`);
      const padding = c.padding ?? 'valid';
      if (padding !== 'valid' && padding !== 'same') r.unsupported(`padding ${shown(padding)}`);
      return { filters: c.filters as number, kernelSize: r.pair('kernel_size'), padding: padding as 'valid' | 'same', ...kernelConfig(r) };
    },
  },
  MaxPooling2D: {
    write: (config) => ({
      pool_size: [config.poolSize, config.poolSize],
      strides: [config.strides, config.strides],
      padding: 'valid',
      data_format: 'channels_last',
    }),
    read: (r) => {
      const { c } = r;
      r.channelsLast();
      const pool = r.pair('pool_size');
      const strides = c.strides === undefined || c.strides === null ? pool : r.pair('strides');
      if (pool[0] !== pool[1] || strides[0] !== strides[1])
        r.unsupported(`a non-square window or stride (pool_size ${shown(pool)}, strides ${shown(strides)})`);
      if ((c.padding ?? 'valid') !== 'valid') r.unsupported(`padding ${shown(c.padding)} (only 'valid')`);
      return { poolSize: pool[0], strides: strides[0] };
    },
  },
  Flatten: {
    write: () => ({ data_format: 'channels_last' }),
    read: (r) => {
      r.channelsLast();
      return {};
    },
  },
  Activation: {
    write: (config) => ({ activation: config.activation }),
    read: (r) => ({ activation: r.activation() }),
  },
  Dropout: {
    write: (config) => ({ rate: config.rate, noise_shape: null, seed: null }),
    read: (r) => {
      const rate = r.c.rate ?? 0;
      if (typeof rate !== 'number' || !(rate >= 0 && rate < 1)) r.fail(`rate must be in [0, 1), got ${shown(r.c.rate)}`);
      if (r.c.noise_shape !== undefined && r.c.noise_shape !== null) r.unsupported('noise_shape');
      return { rate: rate as number };
    },
  },
  BatchNormalization: {
    write: (config) => ({
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
    }),
    read: (r) => {
      const { c } = r;
      const axis = c.axis ?? -1;
      const last = Array.isArray(axis) && axis.length === 1 ? axis[0] : axis;
      // Keras' and TF.js' default; a positive axis would need the running shape to tell the last axis.
      if (last !== -1) r.unsupported(`axis ${shown(c.axis)} (only -1, the last axis)`);
      if (c.center === false || c.scale === false) r.unsupported('center or scale false (gamma and beta are required)');
      return { momentum: (c.momentum ?? 0.99) as number, epsilon: (c.epsilon ?? 1e-3) as number };
    },
  },
};

/** The registered class `className` names, when it is one (an own key: not `toString`). */
function registered(className: unknown): className is LayerClassName {
  return typeof className === 'string' && Object.hasOwn(KERAS_LAYERS, className);
}

export function kerasLayer(layer: Layer, batchInputShape: (number | null)[] | undefined): KerasLayer {
  const config = layer.getConfig();
  if (!registered(config.className)) {
    throw new ArgumentError(
      'model',
      `layer ${JSON.stringify((config as { name?: string }).name ?? layer.name)} (${String((config as { className?: unknown }).className)}) cannot be exported to TF.js: supported layers are ${SUPPORTED_LAYERS}`,
    );
  }
  const first = batchInputShape ? { batch_input_shape: batchInputShape, dtype: 'float32' } : {};
  // One entry per class: TypeScript cannot pair the union's members with the table's keys itself.
  const write = KERAS_LAYERS[config.className].write as (config: LayerConfig) => Record<string, unknown>;
  return { class_name: config.className, config: { name: config.name, trainable: true, ...first, ...write(config) } };
}

const OPTIMIZER_CLASSES: Readonly<Record<ResolvedOptimizerConfig['type'], string>> = { sgd: 'SGD', momentum: 'Momentum', adam: 'Adam' };

/** Keras' training config for our compile options, or undefined when TF.js has no counterpart (a summed loss). */
export function kerasTrainingConfig(compiled: ResolvedCompileOptions | undefined): KerasTrainingConfig | undefined {
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
export function compileOptionsOf(trainingConfig: KerasTrainingConfig | undefined): CompileOptions | undefined {
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

export function readTopology(topology: unknown, fail: (problem: string) => never): { inputShape: number[]; configs: LayerConfig[] } {
  if (topology === null || typeof topology !== 'object') fail('modelTopology is missing');
  // Keras' own files nest the model under model_config; TF.js writes it at the top.
  const root = ((topology as { model_config?: unknown }).model_config ?? topology) as { class_name?: unknown; config?: unknown };
  if (root.class_name !== 'Sequential') {
    fail(`modelTopology is a ${shown(root.class_name)} model: only Sequential models can be imported`);
  }
  const config = root.config as { layers?: unknown } | unknown[] | undefined;
  const layerList = Array.isArray(config) ? config : config?.layers;
  if (!Array.isArray(layerList) || layerList.length === 0) fail('modelTopology has no layers');
  let inputShape: number[] | undefined;
  const configs: LayerConfig[] = [];
  (layerList as KerasLayer[]).forEach((entry, index) => {
    const c = (entry?.config ?? {}) as Record<string, unknown>;
    const name = typeof c.name === 'string' ? c.name : `layer ${index}`;
    const where = `layer ${shown(name)} (${cut(String(entry?.class_name))})`;
    const unsupported = (what: string): never => fail(`${where}: ${what} is not supported`);
    if (index === 0) {
      // batch_input_shape: TF.js and Keras 2; batch_shape: a Keras 3 InputLayer.
      const batchShape = c.batch_input_shape ?? c.batch_shape;
      if (
        !Array.isArray(batchShape) ||
        batchShape.length < 2 ||
        !batchShape.slice(1).every((d) => Number.isInteger(d) && (d as number) > 0)
      ) {
        fail(`${where}: the first layer needs batch_input_shape [null, ...dimensions], got ${shown(batchShape)}`);
      }
      inputShape = (batchShape as number[]).slice(1);
      if (c.dtype !== undefined && c.dtype !== 'float32') unsupported(`dtype ${shown(c.dtype)} (only float32)`);
      if (entry.class_name === 'InputLayer') return;
    }
    const className = entry?.class_name;
    if (!registered(className)) fail(`${where}: the layer class is not supported (supported: ${SUPPORTED_LAYERS})`);
    const reader: KerasReader = {
      c,
      fail: (problem) => fail(`${where}: ${problem}`),
      unsupported,
      activation: () => {
        const value = c.activation ?? 'linear';
        if (!SUPPORTED_ACTIVATIONS.includes(value as ActivationName)) {
          unsupported(`activation ${shown(value)} (supported: ${SUPPORTED_ACTIVATIONS.join(', ')})`);
        }
        return value as ActivationName;
      },
      channelsLast: () => {
        if (c.data_format !== undefined && c.data_format !== null && c.data_format !== 'channels_last')
          unsupported(`data_format ${shown(c.data_format)} (only channels_last)`);
      },
      pair: (key) => {
        const value = c[key];
        const list = typeof value === 'number' ? [value, value] : value;
        if (!Array.isArray(list) || list.length !== 2 || !list.every((d) => Number.isInteger(d) && d > 0))
          fail(`${where}: ${key} must be one or two positive integers, got ${shown(value)}`);
        return list as [number, number];
      },
    };
    configs.push({ className, name, ...KERAS_LAYERS[className].read(reader) } as LayerConfig);
  });
  return { inputShape: inputShape!, configs };
}

function initializerName(value: unknown): InitializerName {
  const className = (value as { class_name?: unknown } | null)?.class_name;
  const found = (Object.keys(INITIALIZER_CLASSES) as InitializerName[]).find((name) => INITIALIZER_CLASSES[name] === className);
  return found ?? 'glorotUniform';
}

export function topologyName(topology: unknown): string {
  const root = ((topology as { model_config?: unknown }).model_config ?? topology) as { config?: { name?: unknown } };
  const name = root.config?.name;
  return typeof name === 'string' && name !== '' ? name : 'sequential';
}
