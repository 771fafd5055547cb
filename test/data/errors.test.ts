import { describe, expect, it } from 'vitest';
import {
  ArgumentError,
  DataFormatError,
  DataNotFoundError,
  DownloadError,
  FmnistError,
  ModelFileError,
  TrainingError,
} from '../../src/errors.js';

describe('error classes', () => {
  it('carry a name, a code and a one-line message naming the subject', () => {
    const cases: [FmnistError, string, string, string][] = [
      [new DataFormatError('a.idx', 'empty file (0 bytes)'), 'DataFormatError', 'DATA_FORMAT', 'a.idx: empty file (0 bytes)'],
      [
        new DataFormatError('b.csv', 'label (column 1) is 12, outside 0..9', 7),
        'DataFormatError',
        'DATA_FORMAT',
        'b.csv: line 7: label (column 1) is 12, outside 0..9',
      ],
      [new ModelFileError('m.json', 'not a model file'), 'ModelFileError', 'MODEL_FILE', 'm.json: not a model file'],
      [new TrainingError(3, 17, 'loss is NaN'), 'TrainingError', 'TRAINING', 'training stopped at epoch 3, batch 17: loss is NaN'],
      [
        new ArgumentError('--batch-size', 'must be a positive integer, got "x"'),
        'ArgumentError',
        'ARGUMENT',
        '--batch-size: must be a positive integer, got "x"',
      ],
    ];
    for (const [error, name, code, message] of cases) {
      expect(error).toBeInstanceOf(FmnistError);
      expect(error).toBeInstanceOf(Error);
      expect(error.name).toBe(name);
      expect(error.code).toBe(code);
      expect(error.message).toBe(message);
      expect(String(error)).toBe(`${name}: ${message}`);
    }
  });

  it('keep their fields', () => {
    const format = new DataFormatError('f', 'p', 3);
    expect([format.file, format.row, format.problem]).toEqual(['f', 3, 'p']);
    const training = new TrainingError(1, 2, 'loss is Infinity');
    expect([training.epoch, training.batch, training.problem]).toEqual([1, 2, 'loss is Infinity']);
    const argument = new ArgumentError('limit', 'bad');
    expect([argument.argument, argument.problem]).toEqual(['limit', 'bad']);
    const cause = new Error('root');
    expect(new DownloadError('https://x/y.gz', 'HTTP 500', { cause }).cause).toBe(cause);
  });

  it('tell how to get the data when it is missing or the download fails', () => {
    for (const error of [
      new DataNotFoundError('nothing found', ['/a (cwd): does not exist']),
      new DownloadError('https://x/y.gz', 'fetch failed'),
    ]) {
      expect(error.message).toContain('apt-get install dataset-fashion-mnist');
      expect(error.message).toContain('--data DIR');
      expect(error.message).toContain('FASHION_MNIST_DIR');
      expect(error.message).not.toContain('\n');
    }
    const notFound = new DataNotFoundError('nothing found', ['/a (cwd): does not exist']);
    expect(notFound.code).toBe('DATA_NOT_FOUND');
    expect(notFound.message).toMatch(/^Fashion-MNIST not found: nothing found; searched: \/a \(cwd\): does not exist\. To fix: /);
    const download = new DownloadError('https://x/y.gz', 'fetch failed');
    expect(download.code).toBe('DOWNLOAD');
    expect(download.message).toMatch(/^download of https:\/\/x\/y\.gz failed: fetch failed\. Without a download: /);
  });
});
