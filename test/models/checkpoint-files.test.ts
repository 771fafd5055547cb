// A training checkpoint is checked whole before anything of a run is made (issue 20, items 6 and 9):
// every header field against its schema, the config's values, the model blob and the optimizer state
// (finite), each failure a ModelFileError naming the file and the field. Before, a malformed header
// with a valid CRC ended in "header.callbacks.map is not a function" and NaN state trained to NaN.
import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { ModelFileError } from '../../src/errors.js';
import { CHECKPOINT_FILE, parseCheckpoint, serializeCheckpoint, type TrainingCheckpoint } from '../../src/models/checkpoint.js';
import { trainAndEvaluate, type TrainingConfig } from '../../src/models/training.js';
import { reseal, withHeader } from '../helpers/model-file.js';
import { syntheticSet } from '../layers/helpers.js';

const data = { train: syntheticSet(200, 28, 28, 10, 1), test: syntheticSet(50, 28, 28, 10, 2) };
const config: TrainingConfig = {
  architecture: 'mlp',
  architectureOptions: { hidden: [16] },
  optimizer: { type: 'adam', learningRate: 0.01 },
  reduction: 'mean',
  epochs: 2,
  batchSize: 32,
  seed: 3,
  validationSplit: 0.2,
  earlyStoppingPatience: 1,
};

let bytes: Uint8Array;
let checkpoint: TrainingCheckpoint;
beforeAll(async () => {
  const dir = await mkdtemp(join(tmpdir(), 'fmnist-ckpt-files-'));
  await trainAndEvaluate(config, data, { checkpointDir: dir });
  bytes = new Uint8Array(await readFile(join(dir, CHECKPOINT_FILE)));
  checkpoint = parseCheckpoint(bytes, 'run.ckpt');
});

function refused(edited: Uint8Array, pattern: RegExp): void {
  let error: unknown;
  try {
    parseCheckpoint(edited, 'run.ckpt');
  } catch (e) {
    error = e;
  }
  expect(error, String(pattern)).toBeInstanceOf(ModelFileError);
  expect((error as Error).message).toMatch(/^run\.ckpt: /);
  expect((error as Error).message).toMatch(pattern);
}

describe('checkpoint headers are checked against their schema', () => {
  it('names the field of a malformed header (valid CRC)', () => {
    const cases: [(h: Record<string, any>) => void, RegExp][] = [
      [(h) => (h.callbacks = {}), /bad header: callbacks: expected a list, got \{\}/],
      [(h) => (h.config = null), /bad header: config: expected an object, got null/],
      [(h) => (h.history = null), /bad header: history: expected an object, got null/],
      [(h) => (h.config.batchSize = 0), /bad header: config\.batchSize: expected an integer in 1\.\./],
      [
        (h) => (h.config.architecture = 'resnet'),
        /bad header: config\.architecture: expected one of "scratch-mlp", "mlp", "cnn", "loaded"/,
      ],
      [(h) => (h.config.architectureOptions.hidden = [-3]), /bad header: config\.architectureOptions\.hidden\[0\]: expected an integer/],
      [(h) => (h.config.optimizer.learningRate = -1), /bad header: config\.optimizer\.learningRate: expected a finite number > 0/],
      [(h) => delete h.config.validationSplit, /bad header: config\.earlyStoppingPatience: needs validationSplit/],
      [(h) => (h.epoch = 9), /bad header: epoch 9 is past the run's 2 epochs/],
      [(h) => h.history.history.loss.pop(), /bad header: history\.history\.loss has 1 entries, history\.epoch 2/],
      [(h) => (h.optimizer.iterations = 'many'), /bad header: optimizer\.iterations: expected an integer/],
      [(h) => (h.blobs[0].byteLength = -4), /bad header: blobs\[0\]\.byteLength: expected an integer/],
      [(h) => (h.extra = 1), /bad header: unexpected key "extra"/],
    ];
    for (const [edit, pattern] of cases) refused(withHeader(bytes.slice(), edit), pattern);
  });

  it('refuses optimizer state or kept weights that are not finite, naming the blob', () => {
    const state = checkpoint.optimizer.buffers.map((b) => b.slice());
    state[1]![5] = Number.NaN;
    refused(
      serializeCheckpoint({ ...checkpoint, optimizer: { ...checkpoint.optimizer, buffers: state } }),
      /optimizer\/1\[5\] is NaN: the saved state must be finite/,
    );
  });

  it('checks the model blob before a run is made', () => {
    const model = reseal(checkpoint.model.slice());
    new DataView(model.buffer).setFloat32(model.length - 8, Number.POSITIVE_INFINITY, true);
    refused(
      serializeCheckpoint({ ...checkpoint, model: reseal(model) }),
      /its model: dense_2\/bias\[9\] is Infinity: the weights must be finite/,
    );
  });
});
