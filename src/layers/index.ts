/** Layers: Dense, Conv2D, MaxPooling2D, Flatten, Activation, Dropout, BatchNormalization (Keras names and layouts). */
import { Activation } from './activation.js';
import { BatchNormalization } from './batch-normalization.js';
import { Conv2D } from './conv2d.js';
import { Dense } from './dense.js';
import { Dropout } from './dropout.js';
import { Flatten } from './flatten.js';
import type { Layer, LayerClassName, LayerConfig } from './layer.js';
import { MaxPooling2D } from './max-pooling2d.js';

export { Activation, type ActivationOptions } from './activation.js';
export { BatchNormalization, type BatchNormalizationOptions } from './batch-normalization.js';
export { Conv2D, type Conv2DOptions } from './conv2d.js';
export { Dense, type DenseOptions } from './dense.js';
export { Dropout, type DropoutOptions } from './dropout.js';
export { Flatten, type FlattenOptions } from './flatten.js';
export { KernelLayer, type KernelLayerOptions } from './kernel-layer.js';
export { MaxPooling2D, type MaxPooling2DOptions } from './max-pooling2d.js';
export {
  ACTIVATIONS,
  INFERENCE,
  INITIALIZERS,
  Layer,
  initialize,
  namePrefixOf,
  type ActivationName,
  type BatchSlot,
  type BuildPlan,
  type ForwardMode,
  type InitializerName,
  type LayerClassName,
  type LayerBuffers,
  type LayerConfig,
  type ParameterSlot,
  type RandomSource,
  type Shape,
} from './layer.js';

/** The config of the layer class `C`. */
export type LayerConfigOf<C extends LayerClassName> = Extract<LayerConfig, { className: C }>;

/**
 * Every layer class, by the `className` its configs carry: where a new layer class is registered,
 * once its config is a member of `LayerConfig` (layer.ts). The compiler holds every table keyed by
 * `LayerClassName` (this one; the interop writers' and readers') to the same list.
 */
export const LAYER_CLASSES: { readonly [C in LayerClassName]: (config: LayerConfigOf<C>) => Layer } = Object.freeze({
  Dense: (config) => new Dense(config.units, config),
  Conv2D: (config) => new Conv2D(config.filters, config.kernelSize, config),
  MaxPooling2D: (config) => new MaxPooling2D(config),
  Flatten: (config) => new Flatten(config),
  Activation: (config) => new Activation(config.activation, config),
  Dropout: (config) => new Dropout(config.rate, config),
  BatchNormalization: (config) => new BatchNormalization(config),
});

/** The registered layer class names, in `LAYER_CLASSES` order. */
export const LAYER_CLASS_NAMES: readonly LayerClassName[] = Object.freeze(Object.keys(LAYER_CLASSES) as LayerClassName[]);

/**
 * Rebuilds a layer from `getConfig()` output (model files).
 * @throws ArgumentError (from the constructors) on invalid values; Error on an unknown className.
 */
export function layerFromConfig(config: LayerConfig): Layer {
  const className: unknown = (config as { className?: unknown } | null)?.className;
  if (typeof className !== 'string' || !Object.hasOwn(LAYER_CLASSES, className)) {
    throw new Error(`unknown layer class ${JSON.stringify(className)}`);
  }
  // One entry per class: TypeScript cannot pair the union's members with the table's keys itself.
  return (LAYER_CLASSES[config.className] as (config: LayerConfig) => Layer)(config);
}
