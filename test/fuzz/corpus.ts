// The fuzz corpus: small valid files of every format fmnist-wasm reads (IDX images and labels, gzip,
// CSV, PNG, model files), and seeded mutations of them that a damaged download, a wrong file or a
// hostile user could produce: truncations, bit flips, byte edits, cut or repeated ranges, trailing
// junk, length fields set to extremes, and (for formats with checksums) the same edits with the
// checksum recomputed so the checks behind it are reached.
import { gzipSync } from 'node:zlib';
import { PNG } from 'pngjs';
import { loadCore } from '../../src/core/index.js';
import { buildArchitecture } from '../../src/models/architectures.js';
import { crc32, serializeModel } from '../../src/models/save.js';
import { CSV_HEADER, csvLine, idxImages, idxLabels, patternPixels } from '../data/fixtures.js';
import { reseal, withHeader } from '../helpers/model-file.js';
import { rng } from '../helpers/random.js';

export type Random = () => number;

/** A 32-bit field of a format: where it is and its byte order. */
export interface LengthField {
  offset: number;
  littleEndian: boolean;
}

export interface Sample {
  name: string;
  bytes: Uint8Array;
  /** Length and count fields to set to extremes. */
  fields: LengthField[];
  /** Recomputes the format's checksum after an edit, when it has one. */
  reseal?: (bytes: Uint8Array) => Uint8Array;
}

export interface Mutant {
  bytes: Uint8Array;
  /** What was done, for the failure message (with the seed, it replays the case). */
  how: string;
}

const EXTREMES = [0, 1, 2, 0x7fffffff, 0x80000000, 0xfffffffe, 0xffffffff];

function int(random: Random, below: number): number {
  return Math.floor(random() * below);
}

/** One seeded mutation of `sample` (never the identity on purpose; an edit may still keep a byte). */
export function mutate(sample: Sample, random: Random): Mutant {
  const src = sample.bytes;
  const n = src.length;
  const kind = int(random, 7);
  let out: Uint8Array;
  let how: string;
  switch (kind) {
    case 0: {
      const length = int(random, n);
      out = src.slice(0, length);
      how = `truncated to ${length} bytes`;
      break;
    }
    case 1: {
      out = src.slice();
      const flips = 1 + int(random, 8);
      const at: number[] = [];
      for (let i = 0; i < flips; i++) {
        const bit = int(random, n * 8);
        out[bit >> 3]! ^= 1 << (bit & 7);
        at.push(bit);
      }
      how = `bits ${at.join(',')} flipped`;
      break;
    }
    case 2: {
      out = src.slice();
      const at = int(random, n);
      const value = [0, 0xff, 0x7f, 0x80, int(random, 256)][int(random, 5)]!;
      out[at] = value;
      how = `byte ${at} set to ${value}`;
      break;
    }
    case 3: {
      const start = int(random, n);
      const length = 1 + int(random, Math.min(64, n - start));
      const repeat = random() < 0.5;
      out = new Uint8Array(n + (repeat ? length : -length));
      out.set(src.subarray(0, start + (repeat ? length : 0)));
      out.set(src.subarray(start + (repeat ? 0 : length)), start + (repeat ? length : 0));
      how = `${length} bytes at ${start} ${repeat ? 'repeated' : 'cut'}`;
      break;
    }
    case 4: {
      const extra = 1 + int(random, 32);
      out = new Uint8Array(n + extra);
      out.set(src);
      for (let i = n; i < out.length; i++) out[i] = int(random, 256);
      how = `${extra} random bytes appended`;
      break;
    }
    default: {
      out = src.slice();
      const field = sample.fields[int(random, sample.fields.length)];
      if (field === undefined || field.offset + 4 > n) return mutate(sample, random);
      const view = new DataView(out.buffer);
      const old = view.getUint32(field.offset, field.littleEndian);
      const value = [...EXTREMES, old + 1, old - 1, old * 2, old >>> 1][int(random, EXTREMES.length + 4)]! >>> 0;
      view.setUint32(field.offset, value, field.littleEndian);
      how = `u32 at ${field.offset} set from ${old} to ${value}`;
    }
  }
  if (sample.reseal !== undefined && out.length >= 8 && random() < 0.5) {
    out = sample.reseal(out);
    how += ', checksum recomputed';
  }
  return { bytes: out, how };
}

/** Text edits of a CSV file: cells replaced by odd tokens, separators and line ends moved. */
export function mutateCsv(text: string, random: Random): Mutant {
  const tokens = [
    '',
    '-1',
    '256',
    '10',
    '7.5',
    '7.0',
    '+3',
    '1e2',
    'x',
    ' 3 ',
    '"5"',
    '\r',
    '\n',
    ',',
    ',,',
    '\t',
    '\ufeff',
    'label',
    '99999999999999999999',
  ];
  let out = text;
  const edits = 1 + int(random, 3);
  const how: string[] = [];
  for (let e = 0; e < edits; e++) {
    const at = int(random, out.length);
    const token = tokens[int(random, tokens.length)]!;
    const replace = int(random, 3); // 0: insert, 1: replace one character, 2: replace up to the next comma
    const end = replace === 0 ? at : replace === 1 ? at + 1 : Math.max(at, out.indexOf(',', at));
    out = out.slice(0, at) + token + out.slice(end);
    how.push(`${JSON.stringify(token)} at ${at} (${['inserted', 'over a character', 'over a cell'][replace]})`);
  }
  return { bytes: new TextEncoder().encode(out), how: how.join('; ') };
}

function pngSample(name: string, width: number, height: number, seed: number): Sample {
  const png = new PNG({ width, height });
  const next = rng(seed);
  for (let i = 0; i < png.data.length; i++) png.data[i] = i % 4 === 3 ? 255 : Math.floor(next() * 256);
  const bytes = new Uint8Array(PNG.sync.write(png));
  return {
    name,
    bytes,
    // IHDR's width, height and length, the first IDAT's length.
    fields: [
      { offset: 16, littleEndian: false },
      { offset: 20, littleEndian: false },
      { offset: 8, littleEndian: false },
      { offset: 33, littleEndian: false },
    ],
    // The IHDR chunk's CRC (over its type and data), so size edits reach the decoder.
    reseal(out) {
      if (out.length < 33) return out;
      const copy = out.slice();
      new DataView(copy.buffer).setUint32(29, crc32(copy.subarray(12, 29)));
      return copy;
    },
  };
}

function modelSample(name: string, bytes: Uint8Array): Sample {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const weightsAt = (16 + view.getUint32(12, true) + 3) & ~3;
  return {
    name,
    bytes,
    fields: [
      { offset: 8, littleEndian: true },
      { offset: 12, littleEndian: true },
      { offset: weightsAt, littleEndian: true },
    ],
    reseal: (out) => reseal(out.slice()),
  };
}

export interface Corpus {
  idxImages: Sample;
  idxLabels: Sample;
  /** gzip of the IDX images; `original` is what it decompresses to. */
  gzip: Sample & { original: Uint8Array };
  csv: { name: string; text: string };
  png: Sample[];
  models: Sample[];
}

/** The valid files the mutations start from (small, so thousands of cases run in seconds). */
export async function buildCorpus(): Promise<Corpus> {
  const images = idxImages(patternPixels(3));
  const labels = idxLabels([0, 9, 4]);
  const pixels = patternPixels(3);
  const csv = `${[CSV_HEADER, csvLine(2, pixels, 0), csvLine(7, pixels, 1), csvLine(0, pixels, 2)].join('\n')}\n`;
  const mlp = buildArchitecture(await loadCore(), 'mlp', { hidden: [3], seed: 1 });
  const cnn = buildArchitecture(await loadCore(), 'cnn', { filters: 2, hidden: [3], seed: 2 });
  const gzipped = new Uint8Array(gzipSync(images));
  const n = gzipped.length;
  return {
    idxImages: { name: 'images.idx', bytes: images, fields: [4, 8, 12].map((offset) => ({ offset, littleEndian: false })) },
    idxLabels: { name: 'labels.idx', bytes: labels, fields: [{ offset: 4, littleEndian: false }] },
    gzip: {
      name: 'images.idx.gz',
      bytes: gzipped,
      original: images,
      // ISIZE, CRC-32 and the header's MTIME.
      fields: [
        { offset: n - 4, littleEndian: true },
        { offset: n - 8, littleEndian: true },
        { offset: 4, littleEndian: true },
      ],
    },
    csv: { name: 'train.csv', text: csv },
    png: [pngSample('gray.png', 28, 28, 1), pngSample('wide.png', 45, 17, 2)],
    models: [modelSample('mlp.fmnist', serializeModel(mlp)), modelSample('cnn.fmnist', serializeModel(cnn))],
  };
}

/** Replaces one value of `root`, found by walking down through random keys; returns the path walked and the value. */
function replaceRandomValue(root: Record<string | number, unknown>, random: Random): string {
  const values = [null, -1, 0, 1, 2.5, 1e5, 1e9, 'x', '', [], {}, [1e5, 1e5, 1], true, '../x.bin', 'x'.repeat(5000)];
  const value = values[int(random, values.length)];
  const path: (string | number)[] = [];
  // Walk down from the root through random keys, stopping at a random depth or at a leaf.
  let node = root;
  for (;;) {
    const keys = Object.keys(node);
    if (keys.length === 0) break;
    const key = Array.isArray(node) ? int(random, node.length) : keys[int(random, keys.length)]!;
    path.push(key);
    const child = node[key];
    if (child === null || typeof child !== 'object' || random() < 0.3) {
      node[key] = value;
      break;
    }
    node = child as Record<string | number, unknown>;
  }
  return `${path.join('.')} set to ${JSON.stringify(value)?.slice(0, 40)}`;
}

/** A model file or checkpoint whose JSON header has one value replaced (checksum recomputed): the checks after the CRC. */
export function mutateModelHeader(sample: Sample, random: Random): Mutant {
  let how = '';
  const bytes = withHeader(sample.bytes.slice(), (header) => {
    how = replaceRandomValue(header as Record<string, unknown>, random);
  });
  return { bytes, how: `header ${how}, checksum recomputed` };
}

/** A JSON file (a TF.js model.json) with one value replaced. */
export function mutateJson(bytes: Uint8Array, random: Random): Mutant {
  const json = JSON.parse(new TextDecoder().decode(bytes)) as Record<string, unknown>;
  const how = replaceRandomValue(json, random);
  return { bytes: new TextEncoder().encode(JSON.stringify(json)), how };
}
