import { afterAll, describe, expect, it } from 'vitest';
import { DataFormatError } from '../../src/errors.js';
import { parseCsv, readCsvFile } from '../../src/data/csv.js';
import { cleanupTempDirs, CSV_HEADER, csvLine, gzip, patternPixels, tempDir, writeFile } from './fixtures.js';

afterAll(cleanupTempDirs);

const encode = (text: string): Uint8Array => new TextEncoder().encode(text);
const pixels = patternPixels(4);
const rows = [csvLine(7, pixels, 0), csvLine(0, pixels, 1), csvLine(9, pixels, 2), csvLine(3, pixels, 3)];

/** A row whose cells are given by `edit` applied to the 785 cells of row 0. */
function editedRow(edit: (cells: string[]) => void): string {
  const cells = rows[0]!.split(',');
  edit(cells);
  return cells.join(',');
}

function expectCsvError(text: string | Uint8Array, line: number, problem: RegExp, file = 'fashion-mnist_train.csv'): DataFormatError {
  let caught: unknown;
  try {
    parseCsv(typeof text === 'string' ? encode(text) : text, file);
  } catch (error) {
    caught = error;
  }
  expect(caught, 'expected a DataFormatError').toBeInstanceOf(DataFormatError);
  const error = caught as DataFormatError;
  expect(error.file).toBe(file);
  expect(error.row).toBe(line);
  expect(error.message.startsWith(`${file}: line ${line}: `), error.message).toBe(true);
  expect(error.message).toMatch(problem);
  return error;
}

function expectRows(text: string, count = 4): void {
  const split = parseCsv(encode(text), 'f.csv');
  expect(split.count).toBe(count);
  expect(split.rows).toBe(28);
  expect(split.cols).toBe(28);
  expect([...split.labels]).toEqual([7, 0, 9, 3].slice(0, count));
  expect(split.images).toEqual(pixels.subarray(0, count * 784));
}

describe('parseCsv: good files', () => {
  it('reads rows with the header', () => expectRows(`${CSV_HEADER}\n${rows.join('\n')}\n`));
  it('reads rows without the header', () => expectRows(`${rows.join('\n')}\n`));
  it('reads a last line without a line end', () => expectRows(`${CSV_HEADER}\n${rows.join('\n')}`));
  it('reads CRLF line ends', () => expectRows(`${CSV_HEADER}\r\n${rows.join('\r\n')}\r\n`));
  it('skips a UTF-8 BOM and trailing blank lines', () => expectRows(`\ufeff${CSV_HEADER}\n${rows.join('\n')}\n\n\r\n  \n`));
  it('reads a quoted header', () =>
    expectRows(
      `${CSV_HEADER.split(',')
        .map((c) => `"${c}"`)
        .join(',')}\n${rows.join('\n')}\n`,
    ));
  it('accepts blanks around cells, leading zeros and integral decimals', () => {
    const text = `${editedRow((c) => {
      c[0] = ' 7 ';
      c[1] = `00${c[1]}`;
      c[2] = `${c[2]}.0`;
      c[784] = `${c[784]} `;
    })}\n${rows.slice(1).join('\n')}\n`;
    expectRows(text);
  });
  it('reads a single row', () => expectRows(`${rows[0]}\n`, 1));
});

describe('parseCsv: every validation, naming the file and the line', () => {
  it('empty file', () => {
    expect(() => parseCsv(new Uint8Array(0), 'e.csv')).toThrow(DataFormatError);
    expect(() => parseCsv(new Uint8Array(0), 'e.csv')).toThrow(/^e\.csv: empty file \(0 bytes\)$/);
  });
  it('no data rows', () => {
    expect(() => parseCsv(encode(`${CSV_HEADER}\n`), 'h.csv')).toThrow(/^h\.csv: no data rows$/);
    expect(() => parseCsv(encode('\n \n'), 'w.csv')).toThrow(/^w\.csv: no data rows$/);
  });
  it('header with the wrong column count', () => {
    expectCsvError(`label,pixel1,pixel2\n${rows[0]}\n`, 1, /header has 3 columns, expected 785 \(label,pixel1,\.\.\.,pixel784\)/);
  });
  it('too few columns', () => {
    const short = rows[1]!.split(',').slice(0, 784).join(',');
    expectCsvError(`${CSV_HEADER}\n${rows[0]}\n${short}\n`, 3, /wrong column count: expected 785, found 784/);
    expectCsvError(`${rows[0]}\r\n7,1,2\r\n`, 2, /wrong column count: expected 785, found 3/);
    // a file cut off in the middle of its last row
    expectCsvError(`${rows[0]}\n${rows[1]!.split(',').slice(0, 13).join(',')}`, 2, /wrong column count: expected 785, found 13$/);
    expectCsvError(`${rows[0]}\n${rows[1]!.split(',').slice(0, 13).join(',')},`, 2, /empty cell in pixel13 \(column 14\)$/);
  });
  it('too many columns', () => {
    expectCsvError(`${CSV_HEADER}\n${rows[0]},5,6\n`, 2, /wrong column count: expected 785, found 787/);
  });
  it('non-numeric cell, naming the column', () => {
    expectCsvError(`${editedRow((c) => (c[10] = 'abc'))}\n`, 1, /non-numeric cell "abc" in pixel10 \(column 11\)/);
    expectCsvError(
      `${CSV_HEADER}\n${rows[0]}\n${editedRow((c) => (c[0] = 'shirt'))}\n`,
      3,
      /non-numeric cell "shirt" in label \(column 1\)/,
    );
    expectCsvError(`${editedRow((c) => (c[784] = '12x'))}\n`, 1, /non-numeric cell "12x" in pixel784 \(column 785\)/);
    expectCsvError('foo,bar\n', 1, /non-numeric cell "foo" in label \(column 1\)/);
  });
  it('empty cell', () => {
    expectCsvError(`${editedRow((c) => (c[5] = ''))}\n`, 1, /empty cell in pixel5 \(column 6\)/);
  });
  it('pixel outside 0..255', () => {
    expectCsvError(`${rows[0]}\n${editedRow((c) => (c[3] = '256'))}\n`, 2, /pixel3 \(column 4\) is 256, outside 0\.\.255/);
    expectCsvError(`${editedRow((c) => (c[3] = '-1'))}\n`, 1, /pixel3 \(column 4\) is -1, outside 0\.\.255/);
    expectCsvError(`${editedRow((c) => (c[3] = '1000000'))}\n`, 1, /pixel3 \(column 4\) is 1000000, outside 0\.\.255/);
  });
  it('non-integer pixel', () => {
    expectCsvError(`${editedRow((c) => (c[3] = '1.5'))}\n`, 1, /pixel3 \(column 4\) is 1\.5, not an integer in 0\.\.255/);
  });
  it('label outside 0..9', () => {
    expectCsvError(`${CSV_HEADER}\n${editedRow((c) => (c[0] = '10'))}\n`, 2, /label \(column 1\) is 10, outside 0\.\.9/);
    expectCsvError(`${editedRow((c) => (c[0] = '2.5'))}\n`, 1, /label \(column 1\) is 2\.5, not an integer in 0\.\.9/);
  });
  it('blank line between rows', () => {
    expectCsvError(`${rows[0]}\n\n${rows[1]}\n`, 2, /blank line between rows/);
  });
  it('carriage return inside a line', () => {
    expectCsvError(`${rows[0]}\r${rows[1]}\n`, 1, /carriage return inside a line/);
  });
});

describe('readCsvFile (Node)', () => {
  const dir = tempDir();
  it('reads a file, raw or gzip, and names the path and line in errors', async () => {
    const text = `${CSV_HEADER}\n${rows.join('\n')}\n`;
    for (const path of [writeFile(dir, 'fashion-mnist_train.csv', text), writeFile(dir, 'packed.csv', gzip(encode(text)))]) {
      const split = await readCsvFile(path);
      expect(split.count).toBe(4);
      expect(split.images).toEqual(pixels);
    }
    const bad = writeFile(dir, 'bad.csv', `${CSV_HEADER}\n${rows[0]}\n${rows[1]},1\n`);
    await expect(readCsvFile(bad)).rejects.toThrow(new RegExp(`^${bad}: line 3: wrong column count: expected 785, found 786$`));
    const empty = writeFile(dir, 'empty.csv', '');
    await expect(readCsvFile(empty)).rejects.toThrow(DataFormatError);
    await expect(readCsvFile(empty)).rejects.toThrow(`${empty}: empty file (0 bytes)`);
  });
});
