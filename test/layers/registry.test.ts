// One layer registry (issue 19 item 8): every LayerConfig class is in LAYER_CLASSES, and a layer
// rebuilt from its config gives the same config back.
import { describe, expect, it } from 'vitest';
import * as layers from '../../src/layers/index.js';

const { Activation, BatchNormalization, Conv2D, Dense, Dropout, Flatten, LAYER_CLASS_NAMES, layerFromConfig, MaxPooling2D } = layers;

const EXAMPLES: layers.Layer[] = [
  new Dense(7, { activation: 'relu', useBias: false, kernelInitializer: 'heNormal', name: 'd' }),
  new Conv2D(3, [2, 4], { padding: 'same', activation: 'sigmoid', name: 'c' }),
  new MaxPooling2D({ poolSize: 3, strides: 2, name: 'p' }),
  new Flatten({ name: 'f' }),
  new Activation('softmax', { name: 'a' }),
  new Dropout(0.3, { name: 'o' }),
  new BatchNormalization({ momentum: 0.9, epsilon: 0.01, name: 'b' }),
];

describe('the layer registry', () => {
  it('rebuilds every registered class from its config', () => {
    expect(new Set(EXAMPLES.map((layer) => layer.className))).toEqual(new Set(LAYER_CLASS_NAMES));
    for (const layer of EXAMPLES) {
      const rebuilt = layerFromConfig(layer.getConfig());
      expect(rebuilt).toBeInstanceOf(layer.constructor);
      expect(rebuilt.getConfig()).toEqual(layer.getConfig());
    }
  });

  it("names unnamed layers with Keras' prefixes, the class names in snake case", () => {
    expect(EXAMPLES.map((layer) => layer.namePrefix)).toEqual([
      'dense',
      'conv2d',
      'max_pooling2d',
      'flatten',
      'activation',
      'dropout',
      'batch_normalization',
    ]);
  });

  it('refuses a class it does not know, inherited names included', () => {
    expect(() => layerFromConfig({ className: 'LSTM', name: 'x' } as never)).toThrow(/unknown layer class "LSTM"/);
    expect(() => layerFromConfig({ className: 'toString', name: 'x' } as never)).toThrow(/unknown layer class "toString"/);
    expect(() => layerFromConfig(null as never)).toThrow(/unknown layer class undefined/);
  });
});
