// PNG pictures: the size limit is read from the IHDR before decoding, and image data that does not
// match the IHDR's size is refused (pngjs alone pads short data and crops long data).
import { PNG } from 'pngjs';
import { describe, expect, it } from 'vitest';
import { decodePng, MAX_PNG_PIXELS, pngSize } from '../../src/data/png.js';
import { DataFormatError } from '../../src/errors.js';
import { crc32 } from '../../src/models/save.js';

function png(width: number, height: number, interlace = false): Uint8Array {
  const image = new PNG({ width, height });
  for (let i = 0; i < image.data.length; i++) image.data[i] = (i * 7) & 255;
  // pngjs writes no interlaced PNGs; the interlace flag below is set by hand for the size check.
  const bytes = new Uint8Array(PNG.sync.write(image));
  return interlace ? withIhdr(bytes, (view) => view.setUint8(28, 1)) : bytes;
}

/** Edits the IHDR chunk and recomputes its CRC. */
function withIhdr(bytes: Uint8Array, edit: (view: DataView) => void): Uint8Array {
  const out = bytes.slice();
  const view = new DataView(out.buffer);
  edit(view);
  view.setUint32(29, crc32(out.subarray(12, 29)));
  return out;
}

describe('PNG pictures', () => {
  it('reads the size from the IHDR and decodes within the limit', () => {
    const bytes = png(45, 17);
    expect(pngSize(bytes, 'a.png')).toEqual({ width: 45, height: 17 });
    const image = decodePng(bytes, 'a.png');
    expect([image.width, image.height, image.data.length]).toEqual([45, 17, 45 * 17 * 4]);
    expect(MAX_PNG_PIXELS).toBe(4096 * 4096);
  });

  it('refuses a size the image data does not fill, or overfills', () => {
    const bytes = png(28, 28);
    for (const height of [29, 27]) {
      const edited = withIhdr(bytes, (view) => view.setUint32(20, height));
      expect(() => decodePng(edited, 'b.png')).toThrow(DataFormatError);
      expect(() => decodePng(edited, 'b.png')).toThrow(
        /^b\.png: not a readable PNG: (\d+ bytes of image data, its size needs \d+|more image data than its size needs)$/,
      );
    }
    // The same data read as Adam7-interlaced needs a different length.
    expect(() => decodePng(png(28, 28, true), 'c.png')).toThrow(/c\.png: not a readable PNG: .*image data/);
  });

  it('refuses a picture of over 4096x4096 pixels from its header alone', () => {
    const bytes = withIhdr(png(2, 2), (view) => {
      view.setUint32(16, 8193);
      view.setUint32(20, 2048);
    });
    expect(() => decodePng(bytes, 'd.png')).toThrow('d.png: the picture is 8193x2048 pixels, over the limit of 4096x4096');
    // The limit is on the pixel count: a long strip of fewer pixels is decoded (here: fails on its data).
    expect(() =>
      decodePng(
        withIhdr(png(2, 2), (view) => view.setUint32(16, 8192)),
        'f.png',
      ),
    ).toThrow(/f\.png: not a readable PNG: \d+ bytes of image data/);
    expect(() => decodePng(bytes.subarray(0, 20), 'e.png')).toThrow(
      'e.png: not a readable PNG: bad signature or truncated before the IHDR chunk',
    );
  });
});
