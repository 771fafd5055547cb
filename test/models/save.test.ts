// Model files: round trip (same predictions, same bytes), atomic save, and every corruption class.
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadCore } from '../../src/core/index.js';
import { CLASS_NAMES } from '../../src/data/classes.js';
import { ModelFileError } from '../../src/errors.js';
import { exportModel, importModel } from '../../src/interop/index.js';
import { buildArchitecture } from '../../src/models/architectures.js';
import { crc32, deserializeModel, loadModel, MODEL_FILE_MAGIC, saveModel, serializeModel } from '../../src/models/save.js';
import { syntheticSet } from '../layers/helpers.js';
import { reseal, withHeader } from '../helpers/model-file.js';

async function trainedCnn() {
  const model = buildArchitecture(await loadCore(), 'cnn', { filters: 4, hidden: [16], seed: 3 });
  const set = syntheticSet(40, 28, 28, 10, 1);
  await model.fit(set, { batchSize: 16 });
  return { model, set };
}

/** Sets weight `index` (from the end when negative) to `value`, keeping the CRC valid. */
function withWeight(bytes: Uint8Array, index: number, value: number): Uint8Array {
  const out = bytes.slice();
  const view = new DataView(out.buffer);
  const weightsAt = ((16 + view.getUint32(12, true) + 3) & ~3) + 4;
  const count = view.getUint32(weightsAt - 4, true) / 4;
  view.setFloat32(weightsAt + 4 * (index < 0 ? count + index : index), value, true);
  return reseal(out);
}

describe('model files', () => {
  it('crc32 is the IEEE/zlib CRC-32', () => {
    expect(crc32(new TextEncoder().encode('123456789'))).toBe(0xcbf43926);
    expect(crc32(new Uint8Array(0))).toBe(0);
  });

  it('round-trips: identical predictions, weights, compile options and bytes', async () => {
    const { model, set } = await trainedCnn();
    const bytes = serializeModel(model);
    expect(Array.from(bytes.subarray(0, 8))).toEqual(MODEL_FILE_MAGIC);
    const copy = await deserializeModel(bytes);
    expect(serializeModel(copy)).toEqual(bytes);
    const a = model.predict(set.images, set.count);
    const b = copy.predict(set.images, set.count);
    expect(b.labels).toEqual(a.labels);
    expect(b.probabilities).toEqual(a.probabilities);
    expect(copy.architecture).toEqual({
      name: 'cnn',
      options: { hidden: [16], activation: 'relu', filters: [4], kernelSize: 3, padding: 'valid' },
    });
    expect(copy.compileOptions).toEqual(model.compileOptions);
    expect(copy.summary()).toBe(model.summary());
    // A loaded model trains on.
    await copy.fit(set, { batchSize: 16 });
  });

  it('records class names an application set, through model files, TF.js and ONNX; default names leave the bytes as they were', async () => {
    const { model, set } = await trainedCnn();
    const plain = serializeModel(model);
    model.classNames = [...CLASS_NAMES];
    expect(serializeModel(model)).toEqual(plain);
    const names = ['top', 'trouser', 'pullover', 'dress', 'coat', 'sandal', 'shirt', 'sneaker', 'bag', 'boot'];
    model.classNames = names;
    const named = await deserializeModel(serializeModel(model));
    expect(named.classNames).toEqual(names);
    expect(named.classify(set.images.subarray(0, 784)).className).toBe(names[model.classify(set.images.subarray(0, 784)).label]);
    for (const format of ['tfjs', 'onnx'] as const) {
      const imported = await importModel(exportModel(model, format));
      expect(imported.classNames, format).toEqual(names);
    }
    expect(() => {
      model.classNames = ['one'];
    }).toThrow(/^classNames: expected 10 strings/);
    const wrong = withHeader(serializeModel(model), (header) => {
      header.classNames = ['a', 'b'];
    });
    await expect(deserializeModel(wrong, { source: 'w.fmnist' })).rejects.toThrow(
      /^w\.fmnist: bad class names: classNames: expected 10 strings/,
    );
    const notStrings = withHeader(plain, (header) => {
      header.classNames = [1, 2];
    });
    await expect(deserializeModel(notStrings, { source: 'n.fmnist' })).rejects.toThrow(ModelFileError);
  });

  it('saveModel writes atomically (no temporary left) and loadModel reads it back', async () => {
    const { model, set } = await trainedCnn();
    const dir = mkdtempSync(join(tmpdir(), 'fmnist-save-'));
    const path = join(dir, 'model.fmnist');
    await saveModel(model, path);
    await saveModel(model, path); // overwrite in place
    expect(readdirSync(dir)).toEqual(['model.fmnist']);
    expect(new Uint8Array(readFileSync(path))).toEqual(serializeModel(model));
    const loaded = await loadModel(path);
    expect(loaded.predict(set.images, set.count).labels).toEqual(model.predict(set.images, set.count).labels);
    await expect(saveModel(model, join(dir, 'missing-dir', 'm.fmnist'))).rejects.toThrow(ModelFileError);
    expect(readdirSync(dir)).toEqual(['model.fmnist']);
    await expect(loadModel(join(dir, 'nope.fmnist'))).rejects.toThrow(/nope\.fmnist: no such file/);
  });

  it('rejects corrupt files with a ModelFileError naming the file and the problem', async () => {
    const { model } = await trainedCnn();
    const good = serializeModel(model);
    const dir = mkdtempSync(join(tmpdir(), 'fmnist-corrupt-'));
    const cases: [string, Uint8Array, RegExp][] = [
      ['bad magic', Uint8Array.from(good, (b, i) => (i === 1 ? 0x58 : b)), /not an fmnist-wasm model file \(bad magic bytes\)/],
      ['a text file', new TextEncoder().encode('label,pixel1\n'), /bad magic/],
      ['empty', new Uint8Array(0), /truncated: 0 bytes/],
      [
        'unknown version',
        reseal(Uint8Array.from(good, (b, i) => (i === 8 ? 2 : b))),
        /unsupported format version 2 \(this build reads version 1\)/,
      ],
      ['truncated', good.slice(0, good.length - 100), new RegExp(`truncated: expected ${good.length} bytes, got ${good.length - 100}`)],
      ['truncated in the header', good.slice(0, 40), /truncated: the header says/],
      ['trailing bytes', Uint8Array.from([...good, 0]), /trailing bytes/],
      [
        'flipped weight bit',
        Uint8Array.from(good, (b, i) => (i === good.length - 50 ? b ^ 4 : b)),
        /checksum mismatch: stored CRC-32 0x[0-9a-f]{8}, computed 0x[0-9a-f]{8}/,
      ],
      ['header not JSON', reseal(Uint8Array.from(good, (b, i) => (i === 16 ? 0x7b ^ 0x20 : b))), /header is not valid UTF-8 JSON/],
      [
        'shape mismatch',
        withHeader(good, (h) => {
          (h.parameters as { shape: number[] }[])[0]!.shape = [3, 3, 1, 5];
        }),
        /weights do not match the header: conv2d_1\/kernel has shape \[3,3,1,5\] in the header, the layers need \[3, 3, 1, 4\]/,
      ],
      [
        'missing parameter',
        withHeader(good, (h) => {
          (h.parameters as unknown[]).pop();
        }),
        /weights do not match the header: the layers have 6 parameters .* the header lists 5/,
      ],
      [
        'layer config invalid',
        withHeader(good, (h) => {
          (h.layers as { units?: number }[])[3]!.units = -1;
        }),
        /the header describes an invalid model: Dense units/,
      ],
      [
        'weights length',
        (() => {
          // Drop the last 4 weight bytes and fix the length and the CRC: framing is valid, the weights are not.
          const bytes = good.slice(0, good.length - 4);
          const view = new DataView(bytes.buffer);
          const at = (16 + view.getUint32(12, true) + 3) & ~3;
          view.setUint32(at, view.getUint32(at, true) - 4, true);
          return reseal(bytes);
        })(),
        /weights do not match the header: the layers make \d+ parameters but the file has \d+ weights/,
      ],
      // A diverged run's weights with a valid CRC: refused, not evaluated silently to 10 %.
      ['NaN weight', withWeight(good, 7, Number.NaN), /conv2d_1\/kernel\[7\] is NaN: the weights must be finite numbers/],
      ['infinite weight', withWeight(good, -1, Number.NEGATIVE_INFINITY), /dense_\d\/bias\[9\] is -Infinity/],
    ];
    for (const [name, bytes, pattern] of cases) {
      const path = join(dir, `${name.replace(/ /g, '-')}.fmnist`);
      writeFileSync(path, bytes);
      const error = await loadModel(path).catch((e: unknown) => e);
      expect(error, name).toBeInstanceOf(ModelFileError);
      expect((error as ModelFileError).file, name).toBe(path);
      expect((error as Error).message, name).toMatch(pattern);
      expect((error as Error).message.startsWith(`${path}: `), name).toBe(true);
    }
    await expect(deserializeModel(new Uint8Array(3), { source: 'upload.bin' })).rejects.toThrow(
      /^upload\.bin: not an fmnist-wasm model file/,
    );
  });

  it('refuses a header that claims huge layers before committing their memory', async () => {
    const { model } = await trainedCnn();
    // Dense units 16 → 100000: 2.8 billion parameters' worth of layers for a file of 95 thousand weights.
    const huge = withHeader(serializeModel(model), (h) => {
      (h.layers as { units?: number }[])[3]!.units = 100000;
    });
    const core = await loadCore();
    const before = core.arena.memory.buffer.byteLength;
    await expect(deserializeModel(huge, { core, source: 'huge.fmnist' })).rejects.toThrow(
      /^huge\.fmnist: weights do not match the header: the layers make \d+ parameters but the file has \d+ weights$/,
    );
    expect(core.arena.memory.buffer.byteLength).toBe(before);
  });
});
