// Seeded mutations of valid IDX, gzip, CSV, PNG and model files (test/fuzz/corpus.ts). Each case must
// end in the documented typed error (DataFormatError for data and pictures, ModelFileError for model
// files) or in a success that is correct: the data the file really holds (checked against the
// bytes, or against the original where a checksum covers them). Never another exception type, never
// a hang (the test's timeout), never wrong data. A failure names the seed and the mutation.
import { beforeAll, describe, expect, it } from 'vitest';
import { parseCsv } from '../../src/data/csv.js';
import { gunzip, gunzipWithStream, parseIdxImages, parseIdxLabels } from '../../src/data/idx.js';
import { toModelInput } from '../../src/data/image.js';
import { decodePng } from '../../src/data/png.js';
import { DataFormatError, ModelFileError } from '../../src/errors.js';
import { exportModel } from '../../src/interop/formats.js';
import { describeTfjsFiles } from '../../src/interop/tfjs-import.js';
import { parseCheckpoint, serializeCheckpoint } from '../../src/models/checkpoint.js';
import { deserializeModel, serializeModel } from '../../src/models/save.js';
import { rng } from '../helpers/random.js';
import { buildCorpus, mutate, mutateCsv, mutateJson, mutateModelHeader, type Corpus, type Mutant, type Sample } from './corpus.js';

const CASES = 600;

let corpus: Corpus;
beforeAll(async () => {
  corpus = await buildCorpus();
});

/** Runs `parse` on `CASES` mutants; a thrown error must be `expected`, a success must pass `check`. */
async function fuzz<T>(
  seed: number,
  makeMutant: (random: () => number, index: number) => Mutant,
  parse: (bytes: Uint8Array) => T | Promise<T>,
  expected: abstract new (...args: never[]) => Error,
  check: (result: T, bytes: Uint8Array) => void,
): Promise<{ errors: number; successes: number }> {
  const random = rng(seed);
  let errors = 0;
  for (let i = 0; i < CASES; i++) {
    const mutant = makeMutant(random, i);
    const where = `seed ${seed}, case ${i}: ${mutant.how}`;
    let result: T;
    try {
      result = await parse(mutant.bytes);
    } catch (error) {
      if (!(error instanceof expected)) throw new Error(`${where}: threw ${String(error)}`, { cause: error });
      expect((error as Error).message, where).not.toMatch(/\n/);
      errors++;
      continue;
    }
    try {
      check(result, mutant.bytes);
    } catch (error) {
      throw new Error(`${where}: succeeded with wrong data: ${(error as Error).message}`, { cause: error });
    }
  }
  return { errors, successes: CASES - errors };
}

function u32(bytes: Uint8Array, offset: number): number {
  return new DataView(bytes.buffer, bytes.byteOffset).getUint32(offset);
}

describe('fuzzed data files', () => {
  it('IDX images: DataFormatError, or exactly the pixels the header describes', async () => {
    const sample = corpus.idxImages;
    const outcome = await fuzz(
      1,
      (random) => mutate(sample, random),
      (bytes) => parseIdxImages(bytes, sample.name),
      DataFormatError,
      (result, bytes) => {
        expect(result.count).toBe(u32(bytes, 4));
        expect(bytes.length).toBe(16 + result.count * 784);
        expect(result.images).toEqual(bytes.subarray(16));
      },
    );
    expect(outcome.errors).toBeGreaterThan(CASES / 2);
  });

  it('IDX labels: DataFormatError, or exactly the labels (all 0..9) the header describes', async () => {
    const sample = corpus.idxLabels;
    const outcome = await fuzz(
      2,
      (random) => mutate(sample, random),
      (bytes) => parseIdxLabels(bytes, sample.name),
      DataFormatError,
      (result, bytes) => {
        expect(result.count).toBe(u32(bytes, 4));
        expect(result.labels).toEqual(bytes.subarray(8));
        expect(Math.max(...result.labels)).toBeLessThan(10);
      },
    );
    expect(outcome.errors).toBeGreaterThan(CASES / 2);
  });

  it('gzip (node:zlib and DecompressionStream): DataFormatError, or the original bytes (CRC-32 and length verified)', async () => {
    const sample = corpus.gzip;
    for (const [seed, decompress] of [
      [3, gunzip],
      [4, gunzipWithStream],
    ] as const) {
      const outcome = await fuzz(
        seed,
        (random) => mutate(sample, random),
        async (bytes) => parseIdxImages(await decompress(bytes, sample.name), sample.name),
        DataFormatError,
        (result) => expect(new Uint8Array(result.images)).toEqual(sample.original.subarray(16)),
      );
      expect(outcome.errors).toBeGreaterThan(CASES / 4);
    }
  });

  it('CSV: DataFormatError, or the values a plain reading of the text gives', async () => {
    const { name, text } = corpus.csv;
    const sample: Sample = { name, bytes: new TextEncoder().encode(text), fields: [] };
    const outcome = await fuzz(
      5,
      (random, i) => (i % 2 === 0 ? mutateCsv(text, random) : mutate(sample, random)),
      (bytes) => parseCsv(bytes, name),
      DataFormatError,
      (result, bytes) => {
        const rows = plainCsvRows(bytes);
        expect(result.count).toBe(rows.length);
        expect(Array.from(result.labels)).toEqual(rows.map((row) => row[0]));
        expect(Array.from(result.images)).toEqual(rows.flatMap((row) => row.slice(1)));
      },
    );
    expect(outcome.errors).toBeGreaterThan(CASES / 4);
    expect(outcome.successes).toBeGreaterThan(0);
  });
});

/**
 * The rows of a CSV file read plainly (the reference for the parser's successes): an optional BOM,
 * an optional header row whose first cell is `label`, blank lines at the end, cells as numbers.
 */
function plainCsvRows(bytes: Uint8Array): number[][] {
  let text = String.fromCharCode(...bytes);
  if (text.startsWith('\xef\xbb\xbf')) text = text.slice(3);
  const lines = text.split('\n').map((line) => line.replace(/\r$/, ''));
  while (lines.length > 0 && lines[lines.length - 1]!.trim() === '') lines.pop();
  if (lines.length > 0 && lines[0]!.split(',')[0]!.trim().replace(/^"|"$/g, '').toLowerCase() === 'label') lines.shift();
  return lines.map((line) => line.split(',').map((cell) => Number(cell.trim())));
}

describe('fuzzed pictures', () => {
  it("PNG: DataFormatError, or the original picture (chunk CRCs and zlib's Adler-32 verified)", async () => {
    for (const [index, sample] of corpus.png.entries()) {
      const original = decodePng(sample.bytes, sample.name);
      const outcome = await fuzz(
        6 + index,
        (random) => mutate(sample, random),
        (bytes) => {
          const image = decodePng(bytes, sample.name);
          return { image, input: toModelInput(image, { invert: 'auto' }) };
        },
        DataFormatError,
        ({ image }) => {
          expect([image.width, image.height]).toEqual([original.width, original.height]);
          expect(image.data).toEqual(original.data);
        },
      );
      expect(outcome.errors).toBeGreaterThan(CASES / 2);
    }
  });
});

describe('fuzzed model files', () => {
  it("ModelFileError, or a model holding exactly the file's weights", async () => {
    for (const [index, sample] of corpus.models.entries()) {
      const outcome = await fuzz(
        8 + index,
        (random, i) => (i % 3 === 0 ? mutateModelHeader(sample, random) : mutate(sample, random)),
        (bytes) => deserializeModel(bytes, { source: sample.name }),
        ModelFileError,
        (model, bytes) => {
          const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
          const weightsAt = ((16 + view.getUint32(12, true) + 3) & ~3) + 4;
          const inFile = new Float32Array(bytes.slice(weightsAt, bytes.length - 4).buffer);
          const loaded = model.getWeights().flatMap((tensor) => Array.from(tensor.values));
          expect(loaded).toEqual(Array.from(inFile));
        },
      );
      expect(outcome.errors).toBeGreaterThan(CASES / 2);
    }
  });
});

describe('fuzzed checkpoints and TF.js manifests (mutated JSON, valid checksums)', () => {
  it('checkpoint: ModelFileError, or a checkpoint that checks out again whole', async () => {
    const model = await deserializeModel(corpus.models[0]!.bytes);
    model.compile({ optimizer: 'adam' });
    const sample: Sample = {
      name: 'fuzz.ckpt',
      fields: [],
      bytes: serializeCheckpoint({
        config: {
          architecture: 'mlp',
          architectureOptions: { hidden: [8] },
          optimizer: { type: 'adam' },
          reduction: 'mean',
          epochs: 3,
          batchSize: 16,
          seed: 1,
        },
        epoch: 1,
        finished: false,
        history: { epoch: [0], history: { loss: [1.5], accuracy: [0.4], seconds: [0.1], imagesPerSecond: [900] } },
        model: serializeModel(model),
        optimizer: model.getOptimizerState(),
        callbacks: [],
      }),
    };
    const outcome = await fuzz(
      20,
      (random, i) => (i % 4 === 0 ? mutate(sample, random) : mutateModelHeader(sample, random)),
      (bytes) => parseCheckpoint(bytes, sample.name),
      ModelFileError,
      (checkpoint) => {
        expect(checkpoint.epoch).toBeLessThanOrEqual(checkpoint.config.epochs);
        expect(() => parseCheckpoint(serializeCheckpoint(checkpoint), 'again')).not.toThrow();
      },
    );
    expect(outcome.errors).toBeGreaterThan(CASES / 2);
  });

  it('model.json: ModelFileError, or a description whose weights the .bin holds, all finite', async () => {
    const model = await deserializeModel(corpus.models[0]!.bytes);
    const [json, bin] = exportModel(model, 'tfjs');
    const outcome = await fuzz(
      21,
      (random) => mutateJson(json!.bytes, random),
      (bytes) => describeTfjsFiles([{ name: 'model.json', bytes }, bin!]),
      ModelFileError,
      (description) => {
        const values = description.weights.flatMap((w) => Array.from(w.values));
        expect(values.length * 4).toBe(bin!.bytes.length);
        expect(values.every(Number.isFinite)).toBe(true);
      },
    );
    expect(outcome.errors).toBeGreaterThan(CASES / 4);
  });
});
