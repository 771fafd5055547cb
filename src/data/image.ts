/**
 * Turning an arbitrary picture into what the networks see: 28x28 u8 grayscale, light object on a
 * dark background (Fashion-MNIST's convention). Pure, so the browser demo uses it too.
 */
import { IMAGE_COLS, IMAGE_ROWS } from './classes.js';

export interface RgbaImage {
  /** width*height*4 bytes, row-major RGBA (as ImageData and pngjs give). */
  data: Uint8Array | Uint8ClampedArray;
  width: number;
  height: number;
}

export interface ToModelInputOptions {
  /**
   * Invert the gray levels. Photos of clothes are usually dark on a light background, the opposite
   * of Fashion-MNIST; 'auto' inverts when the border is lighter than mid-gray.
   */
  invert?: boolean | 'auto';
}

/**
 * Grayscale (Rec. 601 luma, alpha composited on black) and area-averaged resize to 28x28.
 * @throws RangeError when the buffer is smaller than width*height*4 or a side is not positive.
 */
export function toModelInput(image: RgbaImage, options: ToModelInputOptions = {}): Uint8Array {
  const { data, width, height } = image;
  if (!Number.isInteger(width) || width <= 0 || !Number.isInteger(height) || height <= 0) {
    throw new RangeError(`image: width and height must be positive integers, got ${width}x${height}`);
  }
  if (data.length < width * height * 4) {
    throw new RangeError(`image: ${width}x${height} RGBA needs ${width * height * 4} bytes, got ${data.length}`);
  }
  const gray = new Float64Array(width * height);
  for (let i = 0; i < width * height; i++) {
    const alpha = data[i * 4 + 3]! / 255;
    gray[i] = (0.299 * data[i * 4]! + 0.587 * data[i * 4 + 1]! + 0.114 * data[i * 4 + 2]!) * alpha;
  }
  const out = new Uint8Array(IMAGE_ROWS * IMAGE_COLS);
  // Each output pixel averages the source area it covers, with fractional edge weights.
  for (let oy = 0; oy < IMAGE_ROWS; oy++) {
    const y0 = (oy * height) / IMAGE_ROWS;
    const y1 = ((oy + 1) * height) / IMAGE_ROWS;
    for (let ox = 0; ox < IMAGE_COLS; ox++) {
      const x0 = (ox * width) / IMAGE_COLS;
      const x1 = ((ox + 1) * width) / IMAGE_COLS;
      let sum = 0;
      let area = 0;
      for (let y = Math.floor(y0); y < Math.ceil(y1); y++) {
        const wy = Math.min(y + 1, y1) - Math.max(y, y0);
        for (let x = Math.floor(x0); x < Math.ceil(x1); x++) {
          const w = wy * (Math.min(x + 1, x1) - Math.max(x, x0));
          sum += w * gray[y * width + x]!;
          area += w;
        }
      }
      out[oy * IMAGE_COLS + ox] = Math.round(sum / area);
    }
  }
  if (shouldInvert(out, options.invert ?? false)) {
    for (let i = 0; i < out.length; i++) out[i] = 255 - out[i]!;
  }
  return out;
}

function shouldInvert(pixels: Uint8Array, invert: boolean | 'auto'): boolean {
  if (invert !== 'auto') return invert;
  let sum = 0;
  let count = 0;
  for (let i = 0; i < IMAGE_COLS; i++) {
    sum += pixels[i]! + pixels[(IMAGE_ROWS - 1) * IMAGE_COLS + i]!;
    sum += pixels[i * IMAGE_COLS]! + pixels[i * IMAGE_COLS + IMAGE_COLS - 1]!;
    count += 4;
  }
  return sum / count > 127.5;
}
