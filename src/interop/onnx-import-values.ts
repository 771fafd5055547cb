/**
 * ONNX import, the values a graph computes before its layers run: tensors of an ONNX file
 * (initializers and `Constant` nodes) decoded and checked, node attributes read by their declared
 * type, and the constant subgraphs PyTorch writes for shapes folded. `x.view(x.size(0), -1)`
 * exports as Shape → Gather → Unsqueeze → Concat → Reshape: its shape input is
 * `[batch, -1]`, where `batch` is the graph input's symbolic first dimension, so integer tensors
 * here hold numbers or that symbol.
 */
import { readLittleEndianF32 } from '../util/bytes.js';
import { cut } from '../util/schema.js';

/** The graph input's first dimension when it is symbolic (`dim_param`, or no value at all). */
export const BATCH = 'batch' as const;
export type Dim = number | typeof BATCH;

export interface FloatTensor {
  kind: 'float';
  dims: number[];
  values: Float32Array;
}

export interface IntTensor {
  kind: 'int';
  dims: number[];
  values: Dim[];
}

export type ConstantTensor = FloatTensor | IntTensor;

/** How a failure is reported: the caller's ModelFileError, naming the file and the node. */
export type Fail = (reason: string) => never;

// ---- the decoded protobuf (ModelProto.toObject with longs as strings, arrays always present) ----

export interface TensorObject {
  name?: string;
  dims: string[];
  dataType?: number;
  rawData?: Uint8Array;
  floatData: number[];
  int64Data: string[];
  int32Data: number[];
  externalData: unknown[];
  dataLocation?: number;
  segment?: unknown;
}

export interface AttributeObject {
  name?: string;
  type?: number;
  f?: number;
  i?: string;
  s?: Uint8Array;
  t?: TensorObject;
  floats: number[];
  ints: string[];
}

export interface NodeObject {
  name?: string;
  opType?: string;
  domain?: string;
  input: string[];
  output: string[];
  attribute: AttributeObject[];
}

/**
 * A name from the file as a message shows it: quoted (so a newline in it cannot break the one-line
 * message) and cut to a readable length.
 */
export function quote(name: string | undefined): string {
  return JSON.stringify(cut(name ?? '', 80));
}

/** An op type as a message shows it: as it is when it looks like one, else quoted. */
export function opName(op: string): string {
  return /^[A-Za-z][A-Za-z0-9_]{0,39}$/.test(op) ? op : quote(op);
}

/** ONNX TensorProto.DataType names, for messages. */
const DATA_TYPES: Readonly<Record<number, string>> = {
  1: 'float32',
  2: 'uint8',
  3: 'int8',
  4: 'uint16',
  5: 'int16',
  6: 'int32',
  7: 'int64',
  8: 'string',
  9: 'bool',
  10: 'float16',
  11: 'float64',
  12: 'uint32',
  13: 'uint64',
  14: 'complex64',
  15: 'complex128',
  16: 'bfloat16',
};

export function dataTypeName(type: number | undefined): string {
  return DATA_TYPES[type ?? 0] ?? `data type ${type ?? 0}`;
}

/** An int64 field (decoded as a decimal string) as a safe integer, else `fail`. */
export function int64(value: string | number | undefined, what: string, fail: Fail): number {
  const n = Number(value ?? 0);
  if (!Number.isSafeInteger(n)) fail(`${what} is ${String(value)}, not an integer we can use`);
  return n;
}

/** The product of `dims` (1 for a scalar). */
export function count(dims: readonly number[]): number {
  return dims.reduce((a, b) => a * b, 1);
}

/**
 * A tensor's values: float32 (weights) or int64/int32 (shapes). The element count is checked
 * against the data before anything is allocated; external data, segments and other types are refused.
 */
export function decodeTensor(tensor: TensorObject, what: string, fail: Fail): ConstantTensor {
  if (tensor.dataLocation === 1 || tensor.externalData.length > 0) {
    fail(
      `${what} is stored in a separate file (ONNX external data), which is not supported: export with the weights inside the .onnx file`,
    );
  }
  if (tensor.segment !== undefined && tensor.segment !== null) fail(`${what} is a segment of a larger tensor, which is not supported`);
  const dims = tensor.dims.map((d, i) => int64(d, `${what}: dimension ${i}`, fail));
  if (dims.some((d) => d < 0)) fail(`${what} has a negative dimension in [${dims.join(', ')}]`);
  const n = count(dims);
  const raw = tensor.rawData;
  const fromRaw = raw !== undefined && raw.length > 0;
  const sizeMismatch = (got: string): never => fail(`${what}: its dimensions [${dims.join(', ')}] need ${n} values, ${got}`);
  switch (tensor.dataType) {
    case 1: {
      if (fromRaw) {
        if (raw.length !== 4 * n) sizeMismatch(`raw_data holds ${raw.length} bytes (${raw.length / 4} float32 values)`);
        return { kind: 'float', dims, values: readLittleEndianF32(raw, 0, n) };
      }
      if (tensor.floatData.length !== n) sizeMismatch(`float_data holds ${tensor.floatData.length}`);
      return { kind: 'float', dims, values: Float32Array.from(tensor.floatData) };
    }
    case 7:
    case 6: {
      const width = tensor.dataType === 7 ? 8 : 4;
      if (fromRaw) {
        if (raw.length !== width * n) sizeMismatch(`raw_data holds ${raw.length} bytes (${raw.length / width} values)`);
        const view = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
        const values: number[] = [];
        for (let i = 0; i < n; i++) {
          values.push(width === 8 ? int64(view.getBigInt64(8 * i, true).toString(), `${what}[${i}]`, fail) : view.getInt32(4 * i, true));
        }
        return { kind: 'int', dims, values };
      }
      const list = tensor.dataType === 7 ? tensor.int64Data : tensor.int32Data;
      if (list.length !== n) sizeMismatch(`its ${dataTypeName(tensor.dataType)} data holds ${list.length}`);
      return { kind: 'int', dims, values: list.map((v, i) => int64(v, `${what}[${i}]`, fail)) };
    }
    default:
      return fail(`${what} is ${dataTypeName(tensor.dataType)}: only float32 weights (and int64 or int32 shapes) are supported`);
  }
}

// ---- attributes -----------------------------------------------------------------------------------

/** ONNX AttributeProto.AttributeType values. */
const ATTRIBUTE = { FLOAT: 1, INT: 2, STRING: 3, TENSOR: 4, FLOATS: 6, INTS: 7 } as const;
const ATTRIBUTE_NAMES: Readonly<Record<number, string>> = {
  1: 'a float',
  2: 'an int',
  3: 'a string',
  4: 'a tensor',
  5: 'a graph',
  6: 'floats',
  7: 'ints',
  8: 'strings',
  9: 'tensors',
  10: 'graphs',
  11: 'a sparse tensor',
};

/** Reads a node's attributes by name, each checked against the type it must have. */
export class Attributes {
  private readonly byName = new Map<string, AttributeObject>();

  constructor(
    node: NodeObject,
    private readonly fail: Fail,
  ) {
    for (const attribute of node.attribute) {
      const name = attribute.name ?? '';
      if (name === '') fail('an attribute has no name');
      if (attribute.type === undefined || attribute.type === 0) fail(`attribute ${quote(name)} has no type`);
      if (this.byName.has(name)) fail(`attribute ${quote(name)} is given twice`);
      this.byName.set(name, attribute);
    }
  }

  has(name: string): boolean {
    return this.byName.has(name);
  }

  /** Names present that are not in `known`. */
  unknown(known: readonly string[]): string[] {
    return [...this.byName.keys()].filter((name) => !known.includes(name));
  }

  private typed(name: string, type: number): AttributeObject | undefined {
    const attribute = this.byName.get(name);
    if (attribute !== undefined && attribute.type !== type) {
      this.fail(
        `attribute ${quote(name)} is ${ATTRIBUTE_NAMES[attribute.type ?? 0] ?? `of type ${attribute.type}`}, expected ${ATTRIBUTE_NAMES[type]}`,
      );
    }
    return attribute;
  }

  int(name: string, fallback: number): number {
    const attribute = this.typed(name, ATTRIBUTE.INT);
    return attribute === undefined ? fallback : int64(attribute.i, `attribute ${name}`, this.fail);
  }

  float(name: string, fallback: number): number {
    const attribute = this.typed(name, ATTRIBUTE.FLOAT);
    return attribute === undefined ? fallback : (attribute.f ?? 0);
  }

  ints(name: string): number[] | undefined {
    const attribute = this.typed(name, ATTRIBUTE.INTS);
    return attribute?.ints.map((v, i) => int64(v, `attribute ${name}[${i}]`, this.fail));
  }

  floats(name: string): number[] | undefined {
    return this.typed(name, ATTRIBUTE.FLOATS)?.floats;
  }

  string(name: string, fallback: string): string {
    const attribute = this.typed(name, ATTRIBUTE.STRING);
    return attribute === undefined ? fallback : new TextDecoder().decode(attribute.s ?? new Uint8Array());
  }

  tensor(name: string): TensorObject | undefined {
    return this.typed(name, ATTRIBUTE.TENSOR)?.t;
  }
}

// ---- constant folding -------------------------------------------------------------------------------

/** A `Constant` node's value, from whichever `value*` attribute it carries. */
export function constantValue(attributes: Attributes, fail: Fail): ConstantTensor {
  const tensor = attributes.tensor('value');
  if (tensor !== undefined) return decodeTensor(tensor, 'its value', fail);
  const f = attributes.has('value_float') ? attributes.float('value_float', 0) : undefined;
  if (f !== undefined) return { kind: 'float', dims: [], values: Float32Array.of(f) };
  const floats = attributes.floats('value_floats');
  if (floats !== undefined) return { kind: 'float', dims: [floats.length], values: Float32Array.from(floats) };
  if (attributes.has('value_int')) return { kind: 'int', dims: [], values: [attributes.int('value_int', 0)] };
  const ints = attributes.ints('value_ints');
  if (ints !== undefined) return { kind: 'int', dims: [ints.length], values: ints };
  return fail(`a Constant needs a value, value_float(s) or value_int(s) attribute (sparse and string values are not supported)`);
}

/** An axis in [-rank, rank) as a position in [0, rank). */
export function normalizeAxis(axis: number, rank: number, fail: Fail): number {
  if (axis < -rank || axis >= rank) fail(`axis ${axis} is out of range for rank ${rank}`);
  return axis < 0 ? axis + rank : axis;
}

function ints(value: ConstantTensor, what: string, fail: Fail): IntTensor {
  if (value.kind !== 'int') fail(`${what} must be an int64 tensor, got float32`);
  return value as IntTensor;
}

/** Plain numbers of a folded integer tensor (no symbolic batch), e.g. axes. */
export function constantInts(value: ConstantTensor, what: string, fail: Fail): number[] {
  const tensor = ints(value, what, fail);
  if (tensor.values.some((v) => v === BATCH)) fail(`${what} depends on the batch size`);
  return tensor.values as number[];
}

/**
 * Folds a shape-computing op whose inputs are all constants (Identity, Gather, Unsqueeze,
 * Squeeze, Concat, Cast); undefined when `op` is not one of them.
 */
export function foldConstant(
  op: string,
  inputs: readonly (ConstantTensor | undefined)[],
  attributes: Attributes,
  opset: number,
  fail: Fail,
): ConstantTensor | undefined {
  const input = (i: number): ConstantTensor => inputs[i] ?? fail(`input ${i} is missing`);
  switch (op) {
    case 'Identity':
      return input(0);
    case 'Cast': {
      const to = attributes.int('to', 0);
      const value = input(0);
      if ((to === 7 || to === 6) && value.kind === 'int') return value;
      if (to === 1 && value.kind === 'float') return value;
      return fail(`a Cast of ${value.kind === 'int' ? 'int64' : 'float32'} to ${dataTypeName(to)} is not supported`);
    }
    case 'Gather': {
      const data = ints(input(0), 'Gather data', fail);
      if (data.dims.length !== 1) fail(`Gather of a rank-${data.dims.length} tensor is not supported (only a shape vector)`);
      normalizeAxis(attributes.int('axis', 0), 1, fail);
      const indices = ints(input(1), 'Gather indices', fail);
      if (indices.dims.length > 1) fail('Gather indices of rank above 1 are not supported');
      const values = constantInts(indices, 'Gather indices', fail).map((i) => data.values[normalizeAxis(i, data.values.length, fail)]!);
      return { kind: 'int', dims: [...indices.dims], values };
    }
    case 'Unsqueeze':
    case 'Squeeze': {
      const value = input(0);
      const axesInput = opset >= 13 ? inputs[1] : undefined;
      const axes = axesInput !== undefined ? constantInts(axesInput, `${op} axes`, fail) : attributes.ints('axes');
      const dims = [...value.dims];
      if (op === 'Unsqueeze') {
        if (axes === undefined) return fail('Unsqueeze needs axes');
        const rank = dims.length + axes.length;
        for (const axis of axes.map((a) => normalizeAxis(a, rank, fail)).sort((a, b) => a - b)) dims.splice(axis, 0, 1);
      } else {
        const drop = new Set((axes ?? dims.flatMap((d, i) => (d === 1 ? [i] : []))).map((a) => normalizeAxis(a, dims.length, fail)));
        if ([...drop].some((axis) => dims[axis] !== 1)) fail(`Squeeze of an axis whose size is not 1 (dimensions [${dims.join(', ')}])`);
        return { ...value, dims: dims.filter((_, i) => !drop.has(i)) } as ConstantTensor;
      }
      return { ...value, dims } as ConstantTensor;
    }
    case 'Concat': {
      const parts = inputs.map((v, i) => ints(v ?? fail(`input ${i} is missing`), 'Concat input', fail));
      if (parts.some((p) => p.dims.length !== 1)) fail('Concat of tensors that are not vectors is not supported');
      normalizeAxis(attributes.int('axis', 0), 1, fail);
      const values = parts.flatMap((p) => p.values);
      return { kind: 'int', dims: [values.length], values };
    }
    default:
      return undefined;
  }
}
