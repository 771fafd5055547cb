// Model directories, checkpoints and output paths as a hostile or careless user meets them (issue 20's
// security, data-loss and small items, issue 22's export paths and fine-tuning): each case once
// exited 0 with the wrong outcome, hung, or named the wrong thing. Run against an older build with
// FMNIST_CLI=path/to/dist/cli/main.js to watch them fail.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CHECKPOINT_FILE } from '../../src/models/checkpoint.js';
import { loadModel } from '../../src/models/save.js';
import { cleanupTempDirs, tempDir, writeIdxDir } from '../data/fixtures.js';
import { expectUsageError, fmnist } from '../helpers/cli.js';

let dir: string;
let data: string;
let model: string;
/** A TF.js export of `model`: web/model.json + web/model.weights.bin. */
let web: string;
beforeAll(async () => {
  dir = tempDir('fmnist-files-');
  data = join(dir, 'data');
  writeIdxDir(data, 64, 20);
  model = join(dir, 'small.fmnist');
  const train = await fmnist('train', '--model', 'mlp', '--hidden', '16', '--data', data, '--save', model, '--json');
  expect(train.code, train.stderr).toBe(0);
  web = join(dir, 'web');
  mkdirSync(web);
  const exported = await fmnist('export', '--load', model, '--format', 'tfjs', '--out', join(web, 'model.json'));
  expect(exported.code, exported.stderr).toBe(0);
});
afterAll(cleanupTempDirs);

/** A copy of the TF.js export in a directory of its own, its model.json edited. */
function modelDir(name: string, edit: (json: Record<string, any>) => void = () => {}): string {
  const target = join(dir, name);
  mkdirSync(target, { recursive: true });
  const json = JSON.parse(readFileSync(join(web, 'model.json'), 'utf8'));
  edit(json);
  writeFileSync(join(target, 'model.json'), JSON.stringify(json));
  writeFileSync(join(target, 'model.weights.bin'), readFileSync(join(web, 'model.weights.bin')));
  return target;
}

describe('import reads only regular files in the model directory', () => {
  it('refuses manifest paths leaving the directory, naming the field, and writes nothing', async () => {
    mkdirSync(join(dir, 'outside'), { recursive: true });
    writeFileSync(join(dir, 'outside', 'secret.bin'), readFileSync(join(web, 'model.weights.bin')));
    for (const path of ['../outside/secret.bin', join(dir, 'outside', 'secret.bin'), '..', '../../../../../../dev/zero']) {
      const target = modelDir('escape', (json) => {
        json.weightsManifest[0].paths = [path];
      });
      const out = join(dir, 'escape.fmnist');
      expectUsageError(
        await fmnist('import', join(target, 'model.json'), '--out', out),
        /model\.json: weightsManifest\[0\]\.paths\[0\]: expected a plain file name in the model's directory/,
      );
      expect(existsSync(out)).toBe(false);
    }
  });

  it('refuses a weights file that is a symbolic link leaving the directory (to a file, to /dev/zero)', async () => {
    for (const [name, to] of [
      ['link-file', join(dir, 'outside', 'secret.bin')],
      ['link-zero', '/dev/zero'],
    ] as const) {
      const target = modelDir(name);
      execFileSync('rm', [join(target, 'model.weights.bin')]);
      symlinkSync(to, join(target, 'model.weights.bin'));
      expectUsageError(await fmnist('import', target, '--out', join(dir, `${name}.fmnist`)), /outside the model's directory/);
    }
  });

  it('refuses a FIFO at once instead of hanging, and an empty paths list by name', async () => {
    const target = modelDir('fifo');
    execFileSync('rm', [join(target, 'model.weights.bin')]);
    execFileSync('mkfifo', [join(target, 'model.weights.bin')]);
    expectUsageError(await fmnist('import', target, '--out', join(dir, 'fifo.fmnist')), /model\.weights\.bin: a FIFO, not a regular file/);
    const empty = modelDir('empty-paths', (json) => {
      json.weightsManifest[0].paths = [];
    });
    expectUsageError(
      await fmnist('import', empty, '--out', join(dir, 'empty.fmnist')),
      /model\.json: weightsManifest\[0\]\.paths: expected 1\.\.\d+ entries, got 0/,
    );
  });

  it('checks every manifest field before reading weights, and cuts long names in the one error line', async () => {
    const numbers = modelDir('numeric-paths', (json) => {
      json.weightsManifest[0].paths = [1, 2];
    });
    expectUsageError(
      await fmnist('import', numbers, '--out', join(dir, 'n.fmnist')),
      /weightsManifest\[0\]\.paths\[0\]: expected a string, got 1/,
    );
    const long = modelDir('long-name', (json) => {
      json.modelTopology.config.layers[0].class_name = 'X'.repeat(5_000_000);
    });
    const run = await fmnist('import', long, '--out', join(dir, 'long.fmnist'));
    expectUsageError(run, /the layer class is not supported/);
    expect(run.stderr.length).toBeLessThan(1100);
  });

  it('caps model.json (a topology is kilobytes)', async () => {
    const big = modelDir('big-json', (json) => {
      json.userDefinedMetadata.padding = 'x'.repeat(17 * 2 ** 20);
    });
    expectUsageError(
      await fmnist('import', big, '--out', join(dir, 'big.fmnist')),
      /model\.json: \d+ bytes, more than the \d+ a model\.json may hold/,
    );
  });

  it('refuses NaN and infinite weights, naming the tensor', async () => {
    const target = modelDir('nan');
    const bin = readFileSync(join(target, 'model.weights.bin'));
    new DataView(bin.buffer, bin.byteOffset).setFloat32(4 * 3, Number.NaN, true);
    writeFileSync(join(target, 'model.weights.bin'), bin);
    const out = join(dir, 'nan.fmnist');
    expectUsageError(await fmnist('import', target, '--out', out), /dense_1\/kernel\[3\] is NaN: the weights must be finite numbers/);
    expect(existsSync(out)).toBe(false);
  });
});

describe('predict reads only regular files', () => {
  it('refuses a .png that is a symbolic link to /dev/zero or a FIFO, at once', async () => {
    symlinkSync('/dev/zero', join(dir, 'zero.png'));
    expectUsageError(
      await fmnist('predict', '--load', model, join(dir, 'zero.png')),
      /zero\.png: cannot read: a character device, not a regular file/,
    );
    execFileSync('mkfifo', [join(dir, 'pipe.png')]);
    expectUsageError(await fmnist('predict', '--load', model, join(dir, 'pipe.png')), /pipe\.png: cannot read: a FIFO, not a regular file/);
  });
});

describe('train never loses a checkpoint', () => {
  const quick = () => ['train', '--model', 'scratch-mlp', '--hidden', '8', '--data', data, '--json'];

  it("refuses --save onto the run's own checkpoint", async () => {
    const ckpt = join(dir, 'own');
    expectUsageError(
      await fmnist(...quick(), '--checkpoint-dir', ckpt, '--save', join(ckpt, CHECKPOINT_FILE)),
      /^fmnist: --save: .*training\.ckpt is this run's own checkpoint/,
    );
    const first = await fmnist(...quick(), '--checkpoint-dir', ckpt);
    expect(first.code, first.stderr).toBe(0);
    const before = readFileSync(join(ckpt, CHECKPOINT_FILE));
    expectUsageError(
      await fmnist('train', '--resume', ckpt, '--save', join(ckpt, '.', CHECKPOINT_FILE)),
      /--save: .*this run's own checkpoint/,
    );
    expect(readFileSync(join(ckpt, CHECKPOINT_FILE)).equals(before)).toBe(true);
  });

  it('never replaces a checkpoint unasked: --resume or --overwrite', async () => {
    const ckpt = join(dir, 'kept');
    expect((await fmnist(...quick(), '--checkpoint-dir', ckpt)).code).toBe(0);
    const before = readFileSync(join(ckpt, CHECKPOINT_FILE));
    const again = await fmnist('train', '--model', 'mlp', '--hidden', '8', '--data', data, '--checkpoint-dir', ckpt);
    expectUsageError(again, new RegExp(`--checkpoint-dir: ${ckpt} already holds a training checkpoint .*--resume ${ckpt}.*--overwrite`));
    expect(readFileSync(join(ckpt, CHECKPOINT_FILE)).equals(before)).toBe(true);
    const replaced = await fmnist(
      'train',
      '--model',
      'mlp',
      '--hidden',
      '8',
      '--data',
      data,
      '--checkpoint-dir',
      ckpt,
      '--overwrite',
      '--json',
    );
    expect(replaced.code, replaced.stderr).toBe(0);
    expect(readFileSync(join(ckpt, CHECKPOINT_FILE)).equals(before)).toBe(false);
    expect(existsSync(join(ckpt, 'training.lock'))).toBe(false);
  });

  it('names a checkpoint path that is a directory', async () => {
    const ckpt = join(dir, 'dir-ckpt');
    mkdirSync(join(ckpt, CHECKPOINT_FILE), { recursive: true });
    expectUsageError(
      await fmnist(...quick(), '--checkpoint-dir', ckpt),
      /--checkpoint-dir: .*training\.ckpt is a directory, where the checkpoint file goes/,
    );
  });
});

describe('export paths that just work', () => {
  it('creates missing directories; a directory --out gets model.json and its weights', async () => {
    const json = join(dir, 'new', 'deep', 'model.json');
    const run = await fmnist('export', '--load', model, '--format', 'tfjs', '--out', json, '--json');
    expect(run.code, run.stderr).toBe(0);
    expect(JSON.parse(run.stdout).files).toEqual([join(dir, 'new', 'deep', 'model.weights.bin'), json]);
    const asDir = join(dir, 'site', 'tfjs');
    const intoDir = await fmnist('export', '--load', model, '--format', 'tfjs', '--out', asDir);
    expect(intoDir.code, intoDir.stderr).toBe(0);
    expect(statSync(join(asDir, 'model.json')).isFile() && statSync(join(asDir, 'model.weights.bin')).isFile()).toBe(true);
    const onnx = join(dir, 'new', 'onnx', 'm.onnx');
    expect((await fmnist('export', '--load', model, '--format', 'onnx', '--out', onnx)).code).toBe(0);
    expect(statSync(onnx).size).toBeGreaterThan(0);
    // import DIR reads DIR/model.json
    const imported = join(dir, 'back', 'm.fmnist');
    const back = await fmnist('import', '--format', 'tfjs', asDir, '--out', imported);
    expect(back.code, back.stderr).toBe(0);
    expect((await loadModel(imported)).getWeights()).toEqual((await loadModel(model)).getWeights());
  });

  it('fails before loading the model when --out cannot be written, naming the real path', async () => {
    writeFileSync(join(dir, 'plain'), 'x');
    const run = await fmnist('export', '--load', join(dir, 'missing.fmnist'), '--format', 'onnx', '--out', join(dir, 'plain', 'x.onnx'));
    expectUsageError(run, /^fmnist: --out: cannot write .*plain.x\.onnx: a part of the path is not a directory/);
    expect(run.stderr).not.toMatch(/\.tmp|missing\.fmnist/);
  });
});

describe('train --load fine-tunes a model file', () => {
  it('continues training with the training flags, checkpoints, and resumes from the checkpoint', async () => {
    const out = join(dir, 'tuned', 'a.fmnist');
    const ckpt = join(dir, 'tuned-ckpt');
    const run = await fmnist(
      'train',
      '--load',
      model,
      '--epochs',
      '2',
      '--optimizer',
      'sgd',
      '--lr',
      '0.05',
      '--batch-size',
      '16',
      '--data',
      data,
      '--checkpoint-dir',
      ckpt,
      '--save',
      out,
      '--json',
    );
    expect(run.code, run.stderr).toBe(0);
    const result = JSON.parse(run.stdout);
    expect([result.model, result.loadedFrom, result.epochsTrained, result.optimizer]).toEqual([
      'loaded',
      model,
      2,
      { type: 'sgd', learningRate: 0.05 },
    ]);
    const tuned = await loadModel(out);
    const original = await loadModel(model);
    expect(tuned.layers.map((l) => l.getConfig())).toEqual(original.layers.map((l) => l.getConfig()));
    expect(tuned.getWeights()).not.toEqual(original.getWeights());
    // The finished run's checkpoint rebuilds the loaded model from its own bytes: the same file again.
    const again = join(dir, 'tuned', 'b.fmnist');
    const resumed = await fmnist('train', '--resume', ckpt, '--data', data, '--save', again, '--json');
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(readFileSync(again).equals(readFileSync(out))).toBe(true);
  });

  it('refuses architecture flags with --load, naming them', async () => {
    expectUsageError(
      await fmnist('train', '--load', model, '--hidden', '32', '--model', 'mlp', '--data', data),
      /^fmnist: --load: trains the loaded model's own layers; drop --model, --hidden/,
    );
  });
});
