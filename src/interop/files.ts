/** A file of an exported model (or of one to import), as bytes so it works the same in browsers and Node. */
export interface ModelFile {
  /**
   * File name, e.g. `model.json`, `model.weights.bin`, `model.onnx`. A path is accepted on import:
   * weight files are matched to the manifest by their last path segment.
   */
  name: string;
  bytes: Uint8Array;
}

const littleEndianHost = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** The values as little-endian f32 bytes (both formats store them so); a view, not a copy, on little-endian hosts. */
export function littleEndianBytes(values: Float32Array): Uint8Array {
  if (littleEndianHost) return new Uint8Array(values.buffer, values.byteOffset, values.byteLength);
  const out = new Uint8Array(values.length * 4);
  const view = new DataView(out.buffer);
  values.forEach((v, i) => view.setFloat32(4 * i, v, true));
  return out;
}

/** `count` little-endian f32 values from `bytes` at `byteOffset`, as a new aligned array. */
export function readLittleEndianF32(bytes: Uint8Array, byteOffset: number, count: number): Float32Array {
  const out = new Float32Array(count);
  if (littleEndianHost) {
    new Uint8Array(out.buffer).set(bytes.subarray(byteOffset, byteOffset + 4 * count));
  } else {
    const view = new DataView(bytes.buffer, bytes.byteOffset + byteOffset, 4 * count);
    for (let i = 0; i < count; i++) out[i] = view.getFloat32(4 * i, true);
  }
  return out;
}
