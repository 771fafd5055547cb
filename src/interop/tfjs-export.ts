/** TF.js Layers export: our model as `model.json` + one `.bin` (the mapping: tfjs-topology.ts). Pure: works in browsers. */
import type { Sequential } from '../models/sequential.js';
import { concatBytes, littleEndianBytes } from '../util/bytes.js';
import type { ModelFile } from './files.js';
import { exportMetadata, PRODUCER } from './metadata.js';
import { kerasLayer, kerasTrainingConfig, type ModelJson } from './tfjs-topology.js';

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
