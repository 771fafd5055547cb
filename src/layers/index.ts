/** Layers: Dense, Conv2D, MaxPooling2D, Flatten, Activation, Dropout, BatchNormalization (Keras names and layouts). */
import { Activation } from './activation.js';
import { BatchNormalization } from './batch-normalization.js';
import { Conv2D } from './conv2d.js';
import { Dense } from './dense.js';
import { Dropout } from './dropout.js';
import { Flatten } from './flatten.js';
import type { Layer, LayerConfig } from './layer.js';
import { MaxPooling2D } from './max-pooling2d.js';

export { Activation, type ActivationOptions } from './activation.js';
export { BatchNormalization, type BatchNormalizationOptions } from './batch-normalization.js';
export { Conv2D, type Conv2DOptions } from './conv2d.js';
export { Dense, type DenseOptions } from './dense.js';
export { Dropout, type DropoutOptions } from './dropout.js';
export { Flatten, type FlattenOptions } from './flatten.js';
export { MaxPooling2D, type MaxPooling2DOptions } from './max-pooling2d.js';
export {
  ACTIVATIONS,
  INFERENCE,
  INITIALIZERS,
  Layer,
  initialize,
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

/**
 * Rebuilds a layer from `getConfig()` output (model files).
 * @throws ArgumentError (from the constructors) on invalid values; Error on an unknown className.
 */
export function layerFromConfig(config: LayerConfig): Layer {
  switch (config.className) {
    case 'Dense':
      return new Dense(config.units, config);
    case 'Conv2D':
      return new Conv2D(config.filters, config.kernelSize, config);
    case 'MaxPooling2D':
      return new MaxPooling2D(config);
    case 'Flatten':
      return new Flatten(config);
    case 'Activation':
      return new Activation(config.activation, config);
    case 'Dropout':
      return new Dropout(config.rate, config);
    case 'BatchNormalization':
      return new BatchNormalization(config);
    default:
      throw new Error(`unknown layer class ${JSON.stringify((config as { className?: unknown }).className)}`);
  }
}
