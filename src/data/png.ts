/**
 * PNG pictures for `fmnist predict` (Node: pngjs decodes with node:zlib). The size comes from the
 * IHDR chunk before anything is decoded: a 400 KB PNG can declare 20000x20000 pixels, and decoding
 * it would take gigabytes, so pictures over {@link MAX_PNG_PIXELS} are refused up front.
 *
 * The image data must also be exactly as long as the IHDR's size needs: pngjs pads short data
 * (a picture one row taller than its data decodes, with an invented row) and crops long data.
 */
import { inflateSync } from 'node:zlib';
import { PNG } from 'pngjs';
import { DataFormatError } from '../errors.js';
import type { RgbaImage } from './image.js';

/** 4096 x 4096 pixels: the most `predict` decodes (a 64 MiB RGBA buffer), whatever the aspect ratio. */
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

/** Samples per pixel of each PNG colour type (gray, RGB, palette, gray + alpha, RGBA). */
const SAMPLES: Readonly<Record<number, number>> = { 0: 1, 2: 3, 3: 1, 4: 2, 6: 4 };
/** Adam7's passes: x start, y start, x step, y step. */
const ADAM7 = [
  [0, 0, 8, 8],
  [4, 0, 8, 8],
  [0, 4, 4, 8],
  [2, 0, 4, 4],
  [0, 2, 2, 4],
  [1, 0, 2, 2],
  [0, 1, 1, 2],
] as const;

/** Bytes of filtered image data (a filter byte per row) that a `width` x `height` picture holds. */
function imageDataBytes(bytes: Uint8Array, width: number, height: number, file: string): number {
  const [depth, colorType, , , interlace] = bytes.subarray(24, 29);
  const samples = SAMPLES[colorType!];
  if (samples === undefined || ![1, 2, 4, 8, 16].includes(depth!)) {
    throw new DataFormatError(file, `not a readable PNG: unsupported colour type ${colorType} or bit depth ${depth}`);
  }
  const rowBytes = (w: number) => Math.ceil((w * samples * depth!) / 8) + 1;
  if (interlace === 0) return rowBytes(width) * height;
  let total = 0;
  for (const [x0, y0, dx, dy] of ADAM7) {
    const w = Math.ceil(Math.max(0, width - x0) / dx);
    const h = Math.ceil(Math.max(0, height - y0) / dy);
    if (w > 0 && h > 0) total += rowBytes(w) * h;
  }
  return total;
}

/** Checks that the IDAT chunks inflate to exactly `expected` bytes. */
function checkImageData(bytes: Uint8Array, expected: number, file: string): void {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const parts: Uint8Array[] = [];
  for (let at = 8; at + 8 <= bytes.length; ) {
    const length = view.getUint32(at);
    const type = String.fromCharCode(...bytes.subarray(at + 4, at + 8));
    if (at + 12 + length > bytes.length) throw new DataFormatError(file, `not a readable PNG: the ${type} chunk is truncated`);
    if (type === 'IDAT') parts.push(bytes.subarray(at + 8, at + 8 + length));
    if (type === 'IEND') break;
    at += 12 + length;
  }
  let inflated: Uint8Array;
  try {
    inflated = inflateSync(Buffer.concat(parts), { maxOutputLength: expected + 1 });
  } catch (error) {
    const tooLong = (error as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE';
    throw new DataFormatError(
      file,
      tooLong
        ? 'not a readable PNG: more image data than its size needs'
        : `not a readable PNG: corrupt image data (${(error as Error).message})`,
      undefined,
      { cause: error },
    );
  }
  if (inflated.length !== expected) {
    throw new DataFormatError(file, `not a readable PNG: ${inflated.length} bytes of image data, its size needs ${expected}`);
  }
}

/**
 * Decodes a PNG into RGBA, refusing pictures over {@link MAX_PNG_PIXELS} before decoding.
 * @throws DataFormatError naming `file` for a damaged PNG, one over the pixel limit, or one whose
 *   image data is shorter or longer than its size needs.
 */
export function decodePng(bytes: Uint8Array, file: string): RgbaImage {
  const { width, height } = pngSize(bytes, file);
  if (width * height > MAX_PNG_PIXELS) {
    throw new DataFormatError(
      file,
      `the picture is ${width}x${height} pixels, over the limit of 4096x4096 (${MAX_PNG_PIXELS} pixels); scale it down first`,
    );
  }
  checkImageData(bytes, imageDataBytes(bytes, width, height, file), file);
  try {
    const png = PNG.sync.read(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
    return { data: png.data, width: png.width, height: png.height };
  } catch (error) {
    throw new DataFormatError(file, `not a readable PNG: ${(error as Error).message}`, undefined, { cause: error });
  }
}
