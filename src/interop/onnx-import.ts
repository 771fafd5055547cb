/**
 * ONNX import: a `.onnx` file as `torch.onnx.export` writes it (opsets 11-17 checked; 9-22 read,
 * whose versions of these ops mean the same), or as our own export writes it, becomes a validated
 * description of one of our Sequential models: input shape, layer configs, weights in our order and
 * layouts, class names. Nothing touches a core until every check has passed, the memory the model
 * needs included. onnx-import-graph.ts maps the graph; onnx-import-layers.ts each op;
 * onnx-import-values.ts the tensors and the folded shape subgraphs.
 *
 * Output. Our `predict` gives probabilities, so the model always ends in a softmax: a graph that
 * ends in Softmax keeps it; one that ends in LogSoftmax gets a softmax instead (the same labels;
 * its probabilities are exp of the graph's output); one that ends in logits (or anything else)
 * gets one (the same labels). It becomes the last Dense's activation when that is linear, else an
 * Activation('softmax') layer, so a model file records it with no format change.
 */
import type { Core } from '../core/index.js';
import { CLASS_NAMES } from '../data/classes.js';
import { ModelFileError } from '../errors.js';
import { layerFromConfig } from '../layers/index.js';
import { modelFromDescription, type ModelDescription } from '../models/description.js';
import { plannedSizes } from '../models/plan.js';
import type { Sequential } from '../models/sequential.js';
import type { ModelFile } from './files.js';
import { mapGraph, type GraphEnding } from './onnx-import-graph.js';
import { layerName, type MappedLayer } from './onnx-import-layers.js';
import { BATCH, dataTypeName, int64, quote, type Dim, type Fail, type NodeObject, type TensorObject } from './onnx-import-values.js';
import { ModelProto } from './onnx-schema.js';
import { cut } from '../util/schema.js';

/** The opsets whose versions of the ops we map mean what we compute. */
export const ONNX_IMPORT_OPSETS = { min: 9, max: 22 } as const;

/** The most a wasm32 core can address. */
const WASM32_BYTES = 2 ** 32;

/**
 * A validated ONNX model, ready to be built on a core (modelFromDescription): `name` is the graph's
 * (`torch_jit`, or our model's), `inputShape` ours ([features] or NHWC [height, width, channels]),
 * `weights` every parameter of the layers in their order and our layouts (`dense_1/kernel` [in, out],
 * Conv2D kernels HWIO).
 */
export interface OnnxImport extends ModelDescription {
  /** The file as errors name it. */
  source: string;
  /** One per output position: the file's `class_names` metadata, else Fashion-MNIST's (10 outputs), else "0", "1", … */
  classNames: string[];
  /** What the graph ended in; the layers always end in softmax. */
  ending: GraphEnding;
  opset: number;
  /** `producer_name producer_version`, e.g. `pytorch 1.13.0`. */
  producer: string;
}

interface ValueInfoObject {
  name?: string;
  type?: { tensorType?: { elemType?: number; shape?: { dim: { dimValue?: string; dimParam?: string }[] } } };
}

interface ModelObject {
  opsetImport: { domain?: string; version?: string }[];
  producerName?: string;
  producerVersion?: string;
  metadataProps: { key?: string; value?: string }[];
  graph?: {
    name?: string;
    node: NodeObject[];
    initializer: TensorObject[];
    sparseInitializer: unknown[];
    input: ValueInfoObject[];
    output: ValueInfoObject[];
  };
}

/**
 * Decodes and validates an ONNX file. Pure (no core, no I/O): works in browsers.
 * @throws ModelFileError naming `source`, and the node where one is at fault, with the reason:
 *   malformed protobuf, an opset outside 9-22, an op or attribute we do not compute, a graph that is
 *   not a chain, shapes we cannot fold, weights that are not float32 or are stored outside the file,
 *   or a model larger than a wasm32 core can hold.
 */
export function parseOnnx(bytes: Uint8Array, source: string): OnnxImport {
  const failFile: Fail = (reason) => {
    throw new ModelFileError(source, reason);
  };
  let model: ModelObject;
  try {
    model = ModelProto.toObject(ModelProto.decode(bytes), { longs: String, arrays: true }) as ModelObject;
  } catch (error) {
    throw new ModelFileError(source, `not an ONNX model (malformed protobuf: ${(error as Error).message})`, { cause: error });
  }
  const graph = model.graph ?? failFile('not an ONNX model: it has no graph');
  const opsets = model.opsetImport.filter((o) => (o.domain ?? '') === '' || o.domain === 'ai.onnx');
  if (opsets.length !== 1) failFile(`expected one opset for the default ONNX domain, got ${opsets.length}`);
  const opset = int64(opsets[0]!.version, 'the opset', failFile);
  if (opset < ONNX_IMPORT_OPSETS.min || opset > ONNX_IMPORT_OPSETS.max) {
    failFile(
      `opset ${opset} is not supported (${ONNX_IMPORT_OPSETS.min} to ${ONNX_IMPORT_OPSETS.max}; PyTorch writes 11 to 17 by default)`,
    );
  }
  if (graph.sparseInitializer.length > 0) failFile('sparse initializers are not supported');
  const metadata = new Map(model.metadataProps.map((p) => [p.key ?? '', p.value ?? '']));

  const initializerNames = new Set(graph.initializer.map((t) => t.name ?? ''));
  // IR < 4 lists the initializers among the inputs too.
  const inputs = graph.input.filter((i) => !initializerNames.has(i.name ?? ''));
  if (inputs.length !== 1)
    failFile(`the graph has ${inputs.length} inputs (${cut(inputs.map((i) => quote(i.name)).join(', '), 200)}): expected one, the images`);
  if (graph.output.length !== 1) failFile(`the graph has ${graph.output.length} outputs: expected one, the class scores`);
  const input = inputs[0]!;
  const mapping = mapGraph(
    {
      nodes: graph.node,
      initializers: graph.initializer,
      input: { name: input.name ?? '', dims: inputDims(input, failFile) },
      inputLayout: metadata.get('input_layout') === 'NHWC' ? 'nhwc' : undefined,
      output: graph.output[0]!.name ?? '',
      opset,
    },
    failFile,
  );
  const layers = withSoftmax(mapping.layers);
  const weights = layers.flatMap((layer) =>
    layer.weights.map((w) => {
      const name = `${layer.config.name}/${w.local}`;
      const at = w.values.findIndex((v) => !Number.isFinite(v));
      if (at >= 0) failFile(`${layer.node}: the weight ${name}[${at}] is ${w.values[at]}: weights must be finite numbers`);
      return { name, shape: w.shape, values: w.values };
    }),
  );
  checkMemory(mapping.inputShape, layers, failFile);
  return {
    source,
    name: graph.name || 'onnx',
    inputShape: mapping.inputShape,
    layers: layers.map((l) => l.config),
    weights,
    classNames: classNames(metadata.get('class_names'), mapping.classes),
    ending: mapping.ending,
    opset,
    producer: [model.producerName, model.producerVersion].filter(Boolean).join(' '),
  };
}

/** The input's dimensions: the first the batch (symbolic or fixed), the others fixed. */
function inputDims(input: ValueInfoObject, failFile: Fail): Dim[] {
  const what = `the input ${quote(input.name)}`;
  const tensor = input.type?.tensorType ?? failFile(`${what} is not a tensor`);
  if (tensor.elemType !== 1) failFile(`${what} is ${dataTypeName(tensor.elemType)}: expected float32`);
  const dims = tensor.shape?.dim ?? failFile(`${what} has no shape`);
  return dims.map((d, i): Dim => {
    if (d.dimValue !== undefined) {
      const value = int64(d.dimValue, `${what}: dimension ${i}`, failFile);
      if (value <= 0 || (i === 0 && value > 2 ** 31)) failFile(`${what}: dimension ${i} is ${value}`);
      return value;
    }
    if (i === 0) return BATCH;
    return failFile(`${what}: dimension ${i} is symbolic (${quote(d.dimParam ?? '?')}): only the batch dimension may be`);
  });
}

/** The layers, ending in softmax (see the header). */
function withSoftmax(layers: MappedLayer[]): MappedLayer[] {
  const last = layers[layers.length - 1];
  if (last?.config.className === 'Dense' && (last.config.activation === 'linear' || last.config.activation === 'softmax')) {
    last.config.activation = 'softmax';
    return layers;
  }
  const node = last?.node ?? 'the graph input';
  return [
    ...layers,
    { config: { className: 'Activation', name: layerName(layers, 'Activation'), activation: 'softmax' }, weights: [], node },
  ];
}

/**
 * That the weights, their gradients and one image's activations fit in a wasm32 core (what building
 * the model and predicting one image need at least), before any memory is committed; names the
 * first layer's node past the limit.
 */
function checkMemory(inputShape: number[], layers: MappedLayer[], failFile: Fail): void {
  const bytes = (upTo: number) => {
    let sizes: ReturnType<typeof plannedSizes>;
    try {
      sizes = plannedSizes(
        inputShape,
        layers.slice(0, upTo).map((l) => layerFromConfig(l.config)),
      );
    } catch (error) {
      return failFile(`${layers[upTo - 1]!.node}: ${(error as Error).message}`);
    }
    return { parameters: sizes.parameters, total: sizes.parameterBytes + sizes.inferenceBytesPerSample };
  };
  if (bytes(layers.length).total < WASM32_BYTES) return;
  let at = 1;
  while (bytes(at).total < WASM32_BYTES) at++;
  const { parameters, total } = bytes(at);
  failFile(
    `${layers[at - 1]!.node}: the model needs ${(total / 2 ** 30).toFixed(1)} GiB up to here (${parameters} parameters with their gradients, and one image's tensors), more than the 4 GiB a wasm32 core can address`,
  );
}

/** The file's class names when they fit the outputs, else Fashion-MNIST's for 10 outputs, else the indices. */
function classNames(json: string | undefined, classes: number): string[] {
  if (json !== undefined) {
    try {
      const names: unknown = JSON.parse(json);
      if (Array.isArray(names) && names.length === classes && names.every((n) => typeof n === 'string')) return names as string[];
    } catch {
      // Not ours, or damaged: the defaults below.
    }
  }
  return classes === CLASS_NAMES.length ? [...CLASS_NAMES] : Array.from({ length: classes }, (_, i) => String(i));
}

/** The largest ONNX file read: weights and their gradients (8 bytes a parameter) must fit in 4 GiB. */
export const ONNX_MAX_BYTES = 2 ** 31;

/**
 * The parsed model on a core (one of its own when absent), through the same path as every model file.
 * @throws ArgumentError when the core already serves a model.
 */
export function buildOnnxModel(parsed: OnnxImport, core?: Core): Promise<Sequential> {
  return modelFromDescription(parsed, { core, source: parsed.source });
}

/**
 * An ONNX model as our Sequential: `files` is the one `.onnx` file (by bytes: works in browsers).
 * @throws ModelFileError naming the file, the node and the reason (see parseOnnx).
 */
export function fromOnnxFiles(files: readonly ModelFile[], core?: Core): Promise<Sequential> {
  const onnx = files.length === 1 ? files : files.filter((f) => f.name.toLowerCase().endsWith('.onnx'));
  if (onnx.length !== 1) {
    throw new ModelFileError(
      onnx.length === 0 ? 'model.onnx' : onnx.map((f) => f.name).join(', '),
      `expected exactly one .onnx file among ${files.map((f) => f.name).join(', ') || 'no files'}, got ${onnx.length}`,
    );
  }
  return buildOnnxModel(parseOnnx(onnx[0]!.bytes, onnx[0]!.name), core);
}
