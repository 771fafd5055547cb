/**
 * Flatten: [height, width, channels] → [height·width·channels]. Row-major NHWC is already flat, so
 * the output IS the input buffer (the model aliases them) and neither pass runs a kernel.
 */
import type { CoreExports } from '../core/abi.js';
import { Layer, size, type LayerConfig, type Shape } from './layer.js';

export interface FlattenOptions {
  name?: string;
}

export class Flatten extends Layer {
  readonly className = 'Flatten' as const;
  override readonly inPlace = true;

  constructor(options: FlattenOptions = {}) {
    super(options.name);
  }

  computeOutputShape(inputShape: Shape): Shape {
    return [size(inputShape)];
  }

  forward(_k: CoreExports): void {}

  backward(_k: CoreExports): void {}

  getConfig(): LayerConfig {
    return { className: 'Flatten', name: this.name };
  }
}
