/**
 * TF.js Layers import: a `model.json` and the `.bin` files its manifest names, as a ModelDescription
 * (the layer mapping: tfjs-topology.ts), then the model through the one description → model path.
 * The model.json is checked against a schema before anything in it is used (its size, every field
 * the import reads; the manifest's `paths` plain file names, so a file outside the model's directory
 * can never be named). Pure: works in browsers.
 */
import type { Core } from '../core/index.js';
import { ModelFileError } from '../errors.js';
import { checkSchema } from '../models/container.js';
import { modelFromDescription, plannedParameters, type ModelDescription } from '../models/description.js';
import type { Sequential } from '../models/sequential.js';
import { concatBytes, readLittleEndianF32 } from '../util/bytes.js';
import { array, cut, integer, isObject, nullable, object, optional, SchemaProblem, shown, string, type Check } from '../util/schema.js';
import type { ModelFile } from './files.js';
import { compileOptionsOf, readTopology, topologyName, type ModelJson, type WeightSpec } from './tfjs-topology.js';

/** The most a model.json may hold: a topology is kilobytes (the weights are in the .bin files). */
export const MODEL_JSON_MAX_BYTES = 16 * 2 ** 20;

/** A weights path: a plain file name in the model's own directory (`./name`, as TF.js writes it, is that name). */
const FILE_NAME: Check<string> = (value, path) => {
  const name = string(value, path).replace(/^\.\//, '');
  if (name === '' || name === '.' || name === '..' || /[\\/\0]/.test(name)) {
    throw new SchemaProblem(path, `expected a plain file name in the model's directory (no directory part, no ..), got ${shown(name)}`);
  }
  return name;
};

const anything: Check<unknown> = (value) => value;

const MODEL_JSON = object(
  {
    format: optional(string),
    generatedBy: optional(nullable(string)),
    convertedBy: optional(nullable(string)),
    modelTopology: anything,
    weightsManifest: array(
      object(
        {
          paths: array(FILE_NAME, { min: 1 }),
          weights: array(
            object({ name: string, shape: array(integer(0), { max: 8 }), dtype: string, group: optional(string) }, { open: true }),
          ),
        },
        { open: true },
      ),
    ),
    trainingConfig: optional(nullable(object({}, { open: true }))),
    userDefinedMetadata: optional(nullable(object({}, { open: true }))),
  },
  { open: true },
);

/**
 * A TF.js model.json's bytes, parsed and checked: size, JSON, Layers format, every field the import
 * reads, the manifest's paths and dtypes.
 * @throws ModelFileError naming `source` and the field.
 */
export function readModelJson(bytes: Uint8Array, source: string): ModelJson {
  const fail = (problem: string): never => {
    throw new ModelFileError(source, problem);
  };
  if (bytes.length > MODEL_JSON_MAX_BYTES) fail(`${bytes.length} bytes, more than the ${MODEL_JSON_MAX_BYTES} a model.json may hold`);
  let json: unknown;
  try {
    json = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes));
  } catch (error) {
    throw new ModelFileError(source, `not valid UTF-8 JSON (${cut((error as Error).message, 120)})`, { cause: error });
  }
  if (!isObject(json)) return fail('expected a JSON object');
  if (json.format !== undefined && json.format !== 'layers-model') {
    fail(`format is ${shown(json.format)}: only TF.js Layers models ("layers-model") can be imported, not graph models`);
  }
  const modelJson = checkSchema(MODEL_JSON, json, source) as ModelJson;
  for (const spec of modelJson.weightsManifest.flatMap((group) => group.weights)) {
    // Optimizer state (skipped) has an int32 step counter beside its f32 moments: 4 bytes each too.
    const allowed = spec.group === 'optimizer' ? ['float32', 'int32'] : ['float32'];
    if (!allowed.includes(spec.dtype)) {
      fail(`weightsManifest: ${cut(spec.name)} has dtype ${shown(spec.dtype)}, only ${allowed.join(' or ')} is supported`);
    }
    if (spec.quantization !== undefined) fail(`weightsManifest: ${cut(spec.name)} is quantized, which is not supported`);
  }
  return modelJson;
}

/** The bytes the manifest's weights take (4 per value), which its files must hold together. */
export function manifestBytes(modelJson: ModelJson): number {
  return modelJson.weightsManifest.reduce(
    (total, group) => group.weights.reduce((n, spec) => n + 4 * spec.shape.reduce((a, b) => a * b, 1), total),
    0,
  );
}

/**
 * The model that TF.js Layers files describe (`model.json` and the `.bin` files its manifest names,
 * matched by file name; a path is fine, its last segment is the name), checked, apart from any core.
 * @throws ModelFileError naming the file and the problem: not a layers-model, a layer or activation
 *   we do not support (named), a manifest that does not match the topology, a missing or truncated
 *   `.bin`, a weight that is not finite (named).
 */
export function describeTfjsFiles(files: readonly ModelFile[]): ModelDescription {
  const jsonFiles = files.filter((f) => f.name.toLowerCase().endsWith('.json'));
  if (jsonFiles.length !== 1) {
    throw new ModelFileError(
      jsonFiles.length === 0 ? 'model.json' : cut(jsonFiles.map((f) => f.name).join(', '), 200),
      `expected exactly one .json file (the TF.js model.json) among ${cut(files.map((f) => f.name).join(', '), 200) || 'no files'}, got ${jsonFiles.length}`,
    );
  }
  const source = jsonFiles[0]!.name;
  const fail = (problem: string): never => {
    throw new ModelFileError(source, problem);
  };
  const modelJson = readModelJson(jsonFiles[0]!.bytes, source);
  const { inputShape, configs } = readTopology(modelJson.modelTopology, fail);
  const slots = plannedParameters(inputShape, configs, source, 'the topology is not a model we can build');
  const specs = modelJson.weightsManifest.flatMap((group) => group.weights);
  const byName = new Map<string, { spec: WeightSpec; byteOffset: number }>();
  let byteOffset = 0;
  for (const spec of specs) {
    byName.set(spec.name, { spec, byteOffset });
    byteOffset += 4 * spec.shape.reduce((a, b) => a * b, 1);
  }
  const { bytes, names } = gatherWeightBytes(modelJson, files, source);
  if (bytes.length !== byteOffset) {
    throw new ModelFileError(
      cut(names.join(', '), 200),
      `${bytes.length < byteOffset ? 'truncated' : 'too long'}: the weights manifest of ${source} needs ${byteOffset} bytes, the file${names.length > 1 ? 's hold' : ' holds'} ${bytes.length}`,
    );
  }
  const used = new Set<string>();
  const weights = slots.map((slot) => {
    const entry = byName.get(slot.name);
    if (entry === undefined) {
      return fail(
        `weightsManifest has no weight ${JSON.stringify(slot.name)} (shape [${slot.shape.join(', ')}]) that the topology needs; it lists ${cut(specs.map((s) => s.name).join(', '), 200) || 'none'}`,
      );
    }
    const { spec } = entry;
    if (spec.shape.length !== slot.shape.length || spec.shape.some((d, i) => d !== slot.shape[i])) {
      fail(`weightsManifest: ${spec.name} has shape [${spec.shape.join(', ')}], the topology needs [${slot.shape.join(', ')}]`);
    }
    used.add(spec.name);
    const length = slot.shape.reduce((a, b) => a * b, 1);
    return { name: slot.name, shape: [...slot.shape], values: readLittleEndianF32(bytes, entry.byteOffset, length) };
  });
  const extra = specs.filter((s) => !used.has(s.name) && s.group !== 'optimizer');
  if (extra.length > 0)
    fail(`weightsManifest lists weights no layer of the topology has: ${cut(extra.map((s) => s.name).join(', '), 200)}`);
  // Training here needs a softmax output (fused with the loss); without one the model only predicts.
  const last = configs[configs.length - 1] as { activation?: string };
  return {
    name: topologyName(modelJson.modelTopology),
    inputShape,
    layers: configs,
    weights,
    compile: last.activation === 'softmax' ? compileOptionsOf(modelJson.trainingConfig) : undefined,
    ...classNamesOf(modelJson.userDefinedMetadata),
  };
}

/** The class names our export writes in `userDefinedMetadata.fmnist`, when they are a list of strings. */
function classNamesOf(metadata: Record<string, unknown> | null | undefined): { classNames?: string[] } {
  const names = (metadata?.fmnist as { classNames?: unknown } | undefined)?.classNames;
  return Array.isArray(names) && names.every((name) => typeof name === 'string') ? { classNames: names as string[] } : {};
}

/** The model of TF.js Layers files, built once on `core` (untouched when a check fails) or a core of its own. */
export async function fromTfjsFiles(files: readonly ModelFile[], core: Core | undefined): Promise<Sequential> {
  const description = describeTfjsFiles(files);
  return modelFromDescription(description, { core, source: files.find((f) => f.name.toLowerCase().endsWith('.json'))!.name });
}

/** The manifest's files, group after group and path after path, as TF.js concatenates them. */
function gatherWeightBytes(modelJson: ModelJson, files: readonly ModelFile[], source: string): { bytes: Uint8Array; names: string[] } {
  const chunks: Uint8Array[] = [];
  const names: string[] = [];
  for (const group of modelJson.weightsManifest) {
    for (const wanted of group.paths) {
      const file = files.find((f) => baseName(f.name) === wanted);
      if (file === undefined) {
        throw new ModelFileError(
          wanted,
          `the weights file named by ${source} is missing (given: ${cut(files.map((f) => f.name).join(', '), 200)})`,
        );
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
