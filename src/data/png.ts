/**
 * PNG pictures for `fmnist predict` (Node: pngjs decodes with node:zlib). The size comes from the
 * IHDR chunk before anything is decoded: a 400 KB PNG can declare 20000x20000 pixels, and decoding
 * it would take gigabytes, so pictures over {@link MAX_PNG_PIXELS} are refused up front.
 */
import { PNG } from 'pngjs';
import { DataFormatError } from '../errors.js';
import type { RgbaImage } from './image.js';

/** 4096 x 4096: the largest picture `predict` decodes (a 64 MiB RGBA buffer). */
export const MAX_PNG_PIXELS = 4096 * 4096;

const PNG_SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];

/** True when `bytes` start with the PNG signature's first four bytes (`\x89PNG`). */
export function isPng(bytes: Uint8Array): boolean {
  return bytes.length >= 4 && PNG_SIGNATURE.slice(0, 4).every((b, i) => bytes[i] === b);
}

/**
 * Width and height from the IHDR chunk, which a valid PNG has right after the signature:
 * length (4 bytes, = 13), type `IHDR`, width and height (u32 big-endian).
 * @throws DataFormatError naming `file` when the signature or the IHDR chunk is not there.
 */
export function pngSize(bytes: Uint8Array, file: string): { width: number; height: number } {
  if (bytes.length < 24 || !PNG_SIGNATURE.every((b, i) => bytes[i] === b)) {
    throw new DataFormatError(file, 'not a readable PNG: bad signature or truncated before the IHDR chunk');
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (view.getUint32(8) !== 13 || String.fromCharCode(...bytes.subarray(12, 16)) !== 'IHDR') {
    throw new DataFormatError(file, 'not a readable PNG: the first chunk is not a 13-byte IHDR');
  }
  return { width: view.getUint32(16), height: view.getUint32(20) };
}

/**
 * Decodes a PNG into RGBA, refusing pictures over {@link MAX_PNG_PIXELS} before decoding.
 * @throws DataFormatError naming `file` for a damaged PNG or one over the pixel limit.
 */
export function decodePng(bytes: Uint8Array, file: string): RgbaImage {
  const { width, height } = pngSize(bytes, file);
  if (width * height > MAX_PNG_PIXELS) {
    throw new DataFormatError(file, `the picture is ${width}x${height} pixels, over the limit of 4096x4096 (${MAX_PNG_PIXELS} pixels); scale it down first`);
  }
  try {
    const png = PNG.sync.read(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
    return { data: png.data, width: png.width, height: png.height };
  } catch (error) {
    throw new DataFormatError(file, `not a readable PNG: ${(error as Error).message}`, undefined, { cause: error });
  }
}
