// Bad input to import and export: each a typed error naming the file (or layer) and the problem.
import { describe, expect, it } from 'vitest';
import { loadCore } from '../../src/core/index.js';
import { ArgumentError, ModelFileError } from '../../src/errors.js';
import { exportModel, importModel, type ModelFile } from '../../src/interop/index.js';
import { Activation, Conv2D, Flatten, type LayerConfig } from '../../src/layers/index.js';
import { buildArchitecture } from '../../src/models/architectures.js';
import { Sequential } from '../../src/models/sequential.js';

async function smallMlpFiles(): Promise<ModelFile[]> {
  return exportModel(buildArchitecture(await loadCore(), 'mlp', { hidden: [8], seed: 2 }), 'tfjs');
}

/** The files with model.json edited. */
function editJson(files: ModelFile[], edit: (json: Record<string, any>) => void): ModelFile[] {
  const json = JSON.parse(new TextDecoder().decode(files[0]!.bytes)) as Record<string, any>;
  edit(json);
  return [{ name: files[0]!.name, bytes: new TextEncoder().encode(JSON.stringify(json)) }, ...files.slice(1)];
}

async function importError(files: ModelFile[]): Promise<ModelFileError> {
  const error = await importModel(files).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(ModelFileError);
  return error as ModelFileError;
}

describe('importModel rejects, naming the file and the problem', () => {
  it('a layer class we do not support, naming the layer', async () => {
    const files = editJson(await smallMlpFiles(), (json) => {
      json.modelTopology.config.layers.splice(1, 0, { class_name: 'LayerNormalization', config: { name: 'layer_normalization_1' } });
    });
    const error = await importError(files);
    expect(error.file).toBe('model.json');
    expect(error.message).toMatch(/layer "layer_normalization_1" \(LayerNormalization\): the layer class is not supported/);
  });

  it('a BatchNormalization over another axis than the last, naming the layer', async () => {
    const files = editJson(await smallMlpFiles(), (json) => {
      json.modelTopology.config.layers.splice(1, 0, { class_name: 'BatchNormalization', config: { name: 'bn', axis: 0 } });
    });
    expect((await importError(files)).message).toMatch(
      /layer "bn" \(BatchNormalization\): axis 0 \(only -1, the last axis\) is not supported/,
    );
  });

  it('an activation we do not support, naming the layer and the activation', async () => {
    const files = editJson(await smallMlpFiles(), (json) => {
      json.modelTopology.config.layers[0].config.activation = 'tanh';
    });
    expect((await importError(files)).message).toMatch(/layer "dense_1" \(Dense\): activation "tanh" .*is not supported/);
  });

  it('a Conv2D with strides, a graph model, a functional model', async () => {
    const strided = editJson(await smallMlpFiles(), (json) => {
      json.modelTopology.config.layers = [
        {
          class_name: 'Conv2D',
          config: { name: 'c', batch_input_shape: [null, 28, 28, 1], filters: 2, kernel_size: [3, 3], strides: [2, 2] },
        },
      ];
    });
    expect((await importError(strided)).message).toMatch(/layer "c" \(Conv2D\): strides \[2,2\] \(only 1\) is not supported/);
    const graph = editJson(await smallMlpFiles(), (json) => {
      json.format = 'graph-model';
    });
    expect((await importError(graph)).message).toMatch(/only TF\.js Layers models/);
    const functional = editJson(await smallMlpFiles(), (json) => {
      json.modelTopology.class_name = 'Model';
    });
    expect((await importError(functional)).message).toMatch(/"Model" model: only Sequential/);
  });

  it('a manifest whose shapes do not match the topology', async () => {
    const files = editJson(await smallMlpFiles(), (json) => {
      json.modelTopology.config.layers[0].config.units = 9;
    });
    expect((await importError(files)).message).toMatch(/dense_1\/kernel has shape \[784, 8\], the topology needs \[784, 9\]/);
  });

  it('a manifest that lacks a weight, or lists one too many', async () => {
    const lacking = editJson(await smallMlpFiles(), (json) => {
      json.modelTopology.config.layers[1].config.use_bias = false;
    });
    expect((await importError(lacking)).message).toMatch(/lists weights no layer of the topology has: dense_2\/bias/);
    const renamed = editJson(await smallMlpFiles(), (json) => {
      json.weightsManifest[0].weights[0].name = 'other/kernel';
    });
    expect((await importError(renamed)).message).toMatch(/no weight "dense_1\/kernel"/);
  });

  it('a truncated .bin, naming the .bin', async () => {
    const files = await smallMlpFiles();
    const truncated = [files[0]!, { name: files[1]!.name, bytes: files[1]!.bytes.subarray(0, files[1]!.bytes.length - 4) }];
    const error = await importError(truncated);
    expect(error.file).toBe('model.weights.bin');
    expect(error.message).toMatch(/truncated: the weights manifest of model\.json needs \d+ bytes, the file holds \d+/);
  });

  it('a missing .bin, and no model.json at all', async () => {
    const files = await smallMlpFiles();
    expect((await importError([files[0]!])).message).toMatch(/model\.weights\.bin: the weights file named by model\.json is missing/);
    expect((await importError([files[1]!])).message).toMatch(/expected exactly one \.json file/);
  });

  it('a model.json that is not JSON, and weights that are not float32', async () => {
    const files = await smallMlpFiles();
    expect((await importError([{ name: 'model.json', bytes: new Uint8Array([0x7b, 0x7b]) }, files[1]!])).message).toMatch(
      /model\.json: not valid UTF-8 JSON/,
    );
    const ints = editJson(files, (json) => {
      json.weightsManifest[0].weights[0].dtype = 'int32';
    });
    expect((await importError(ints)).message).toMatch(/dense_1\/kernel has dtype "int32", only float32/);
  });

  it('an unknown format', async () => {
    await expect(importModel(await smallMlpFiles(), { format: 'keras' as 'tfjs' })).rejects.toThrow(ArgumentError);
    await expect(importModel(await smallMlpFiles(), { format: 'keras' as 'tfjs' })).rejects.toThrow(
      /format: expected one of 'tfjs', 'onnx', got "keras"/,
    );
  });

  it('leaves a core passed in free when the import fails', async () => {
    const files = await smallMlpFiles();
    const core = await loadCore();
    const renamed = editJson(files, (json) => {
      json.weightsManifest[0].weights[0].name = 'other/kernel';
    });
    await expect(importModel(renamed, { core })).rejects.toThrow(ModelFileError);
    const model = await importModel(files, { core });
    expect(model.core).toBe(core);
  });
});

describe('exportModel rejects what a format cannot express', () => {
  /** A layer of a user's own: it computes like Flatten but no format knows its class. */
  class Reshape extends Flatten {
    override getConfig(): LayerConfig {
      return { className: 'Reshape', name: this.name } as unknown as LayerConfig;
    }
  }

  it('an unsupported layer, naming it, for ONNX and for TF.js', async () => {
    const model = new Sequential(await loadCore(), {
      inputShape: [28, 28, 1],
      layers: [new Conv2D(2, 3), new Reshape({ name: 'my_reshape' }), new Activation('softmax')],
    });
    expect(() => exportModel(model, 'onnx')).toThrow(ArgumentError);
    expect(() => exportModel(model, 'onnx')).toThrow(/layer "my_reshape" \(Reshape\) cannot be exported to ONNX/);
    expect(() => exportModel(model, 'tfjs')).toThrow(/layer "my_reshape" \(Reshape\) cannot be exported to TF\.js/);
  });

  it('a softmax over an image-shaped tensor (ONNX softmaxes one axis only)', async () => {
    const model = new Sequential(await loadCore(), { inputShape: [6, 6, 1], layers: [new Conv2D(2, 3), new Activation('softmax')] });
    expect(() => exportModel(model, 'onnx')).toThrow(/"activation_1": a softmax over an image-shaped tensor cannot be exported to ONNX/);
  });

  it('an unknown format', async () => {
    const model = buildArchitecture(await loadCore(), 'scratch-mlp', { hidden: 4 });
    expect(() => exportModel(model, 'keras' as 'onnx')).toThrow(/format: expected one of 'tfjs', 'onnx', got "keras"/);
  });
});
