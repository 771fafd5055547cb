/**
 * The byte toolkit every file format here shares (model files, checkpoints, TF.js weights, ONNX
 * initializers, IDX downloads): little-endian f32 in and out, 4-byte alignment, CRC-32, joining
 * chunks. Pure: works in browsers.
 */

/** True on a little-endian host (every browser and Node we know), where f32 bytes copy as they are. */
export const littleEndianHost = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** `n` rounded up to a multiple of 4 (arithmetic, not `& ~3`: a corrupt length can pass 2^31). */
export function align4(n: number): number {
  return Math.ceil(n / 4) * 4;
}

/** `0x0000abcd`: how the formats print 32-bit fields (magics, checksums). */
export function hex32(value: number): string {
  return `0x${(value >>> 0).toString(16).padStart(8, '0')}`;
}

/** The chunks back to back (`total` = their summed length); a single chunk is returned as is. */
export function concatBytes(chunks: readonly Uint8Array[], total: number): Uint8Array {
  if (chunks.length === 1) return chunks[0]!;
  const out = new Uint8Array(total);
  let offset = 0;
  for (const chunk of chunks) {
    out.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return out;
}

/** The values as little-endian f32 bytes (every format here stores them so); a view, not a copy, on little-endian hosts. */
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

/** The 256-entry table of the reflected CRC-32 (poly 0xEDB88320), as in zlib's crc32.c. */
const CRC_TABLE: Uint32Array = (() => {
  const table = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let bit = 0; bit < 8; bit++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    table[n] = c >>> 0;
  }
  return table;
})();

/** CRC-32 (IEEE 802.3, zlib, PNG) of `bytes`: crc32("123456789") = 0xCBF43926. */
export function crc32(bytes: Uint8Array, crc = 0): number {
  let c = ~crc >>> 0;
  for (let i = 0; i < bytes.length; i++) c = CRC_TABLE[(c ^ bytes[i]!) & 0xff]! ^ (c >>> 8);
  return ~c >>> 0;
}
