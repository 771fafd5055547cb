/**
 * Reader of the paper's CSV layout (Kaggle's `fashion-mnist_train.csv` / `fashion-mnist_test.csv`):
 * one image per line, 785 comma-separated integers, the label (0..9) first, then the 784 pixels
 * (0..255) row by row; optionally a header row `label,pixel1,...,pixel784`.
 *
 * The parser works on bytes: digits are accumulated straight into the output arrays, with no
 * per-cell strings or `parseFloat` (the 60,000-row train file is 47 million cells). Anything the
 * fast path does not recognise (spaces, signs, decimals, text) goes to a slow path that decides
 * between a lenient parse (` 7`, `7.0`) and an error naming the line and column.
 *
 * `parseCsv` imports no Node module (the browser build uses it); `readCsvFile` loads `node:fs` lazily.
 */
import { DataFormatError } from '../errors.js';
import { IMAGE_COLS, IMAGE_PIXELS, IMAGE_ROWS, NUM_CLASSES, type ImageSet } from './classes.js';
import { readDataFile } from './idx.js';

const COLUMNS = 1 + IMAGE_PIXELS; // 785
const COMMA = 0x2c;
const LF = 0x0a;
const CR = 0x0d;
const ZERO = 0x30;
const NINE = 0x39;
const NUMBER = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;

function columnName(col: number): string {
  return col === 0 ? 'label (column 1)' : `pixel${col} (column ${col + 1})`;
}

function isBlank(c: number): boolean {
  return c === 0x20 || c === 0x09 || c === CR || c === LF;
}

function ascii(bytes: Uint8Array, start: number, end: number): string {
  let s = '';
  for (let i = start; i < end; i++) s += String.fromCharCode(bytes[i]!);
  return s;
}

function lineEnd(bytes: Uint8Array, pos: number): number {
  const i = bytes.indexOf(LF, pos);
  return i < 0 ? bytes.length : i;
}

/** Counts the cells of the line holding `pos` from its start `lineStart`. */
function countColumns(bytes: Uint8Array, lineStart: number): number {
  const end = lineEnd(bytes, lineStart);
  let n = 1;
  for (let i = lineStart; i < end; i++) if (bytes[i] === COMMA) n++;
  return n;
}

/**
 * The slow path for one cell in `bytes[start, end)`: trims blanks, accepts any decimal notation
 * of an integer, and throws for the rest.
 */
function slowCell(bytes: Uint8Array, start: number, end: number, fileName: string, line: number, col: number): number {
  const text = ascii(bytes, start, end).trim();
  const shown = JSON.stringify(text.length > 24 ? `${text.slice(0, 24)}...` : text);
  if (text === '') throw new DataFormatError(fileName, `empty cell in ${columnName(col)}`, line);
  if (!NUMBER.test(text)) throw new DataFormatError(fileName, `non-numeric cell ${shown} in ${columnName(col)}`, line);
  const value = Number(text);
  const max = col === 0 ? NUM_CLASSES - 1 : 255;
  if (!Number.isInteger(value)) {
    throw new DataFormatError(fileName, `${columnName(col)} is ${text}, not an integer in 0..${max}`, line);
  }
  return value;
}

/**
 * Parses the paper's 785-column CSV. Pure: no I/O, no Node modules. Accepts a UTF-8 BOM, LF or
 * CRLF line ends, blank lines at the end, and blanks around cells.
 *
 * @param bytes the whole file (UTF-8/ASCII), already decompressed
 * @param fileName used in error messages only
 * @returns the split; `images` and `labels` may be views of slightly larger buffers
 * @throws DataFormatError naming the file and (1-based) line: empty file, header without 785
 *   columns, no data rows, wrong column count, empty or non-numeric cell, non-integer value,
 *   pixel outside 0..255, label outside 0..9, a blank line between rows
 */
export function parseCsv(bytes: Uint8Array, fileName: string): ImageSet {
  const n = bytes.length;
  if (n === 0) throw new DataFormatError(fileName, 'empty file (0 bytes)');
  let pos = n >= 3 && bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf ? 3 : 0;
  let line = 1;

  // Header: a first line whose first non-blank character is not a digit and whose first cell is "label".
  while (pos < n && (bytes[pos] === 0x20 || bytes[pos] === 0x09)) pos++;
  const first = bytes[pos];
  if (first !== undefined && !(first >= ZERO && first <= NINE) && first !== CR && first !== LF) {
    const end = lineEnd(bytes, pos);
    const firstCell = ascii(bytes, pos, Math.min(end, pos + 16))
      .split(',')[0]!
      .trim()
      .replace(/^"|"$/g, '');
    if (firstCell.toLowerCase() === 'label') {
      const columns = countColumns(bytes, pos);
      if (columns !== COLUMNS) {
        throw new DataFormatError(fileName, `header has ${columns} columns, expected ${COLUMNS} (label,pixel1,...,pixel784)`, line);
      }
      pos = end + 1;
      line++;
    }
  }

  // Upper bound on the rows: one per line end, plus a last line without one.
  let maxRows = 1;
  for (let i = bytes.indexOf(LF, pos); i >= 0; i = bytes.indexOf(LF, i + 1)) maxRows++;
  const images = new Uint8Array(maxRows * IMAGE_PIXELS);
  const labels = new Uint8Array(maxRows);

  let count = 0;
  while (pos < n) {
    let c = bytes[pos]!;
    if (isBlank(c)) {
      // A line that is blank up to its end: fine at the end of the file, an error between rows.
      const lineStart = pos;
      while (pos < n && bytes[pos] !== LF && isBlank(bytes[pos]!)) pos++;
      if (pos >= n || bytes[pos] === LF) {
        let rest = pos;
        while (rest < n && isBlank(bytes[rest]!)) rest++;
        if (rest >= n) break;
        throw new DataFormatError(fileName, 'blank line between rows', line);
      }
      pos = lineStart; // blanks before the first cell: the slow path trims them
    }
    const lineStart = pos;
    const base = count * IMAGE_PIXELS - 1; // pixel `col` (1-based) goes to images[base + col]
    for (let col = 0; col < COLUMNS; col++) {
      const start = pos;
      let value = 0;
      c = bytes[pos]!; // undefined past the end: no comparison below matches it
      while (c >= ZERO && c <= NINE) {
        value = value * 10 + (c - ZERO);
        c = bytes[++pos]!;
      }
      if (pos === start || pos - start > 3 || !(c === COMMA || c === LF || c === CR || pos >= n)) {
        let end = pos;
        while (end < n && bytes[end] !== COMMA && bytes[end] !== LF) end++;
        // A CR right before LF ends the line, it is not part of the cell.
        const cellEnd = end < n && bytes[end] === LF && end > start && bytes[end - 1] === CR ? end - 1 : end;
        value = slowCell(bytes, start, cellEnd, fileName, line, col);
        pos = cellEnd;
        c = bytes[pos]!;
      }
      if (col === 0) {
        if (value < 0 || value >= NUM_CLASSES) {
          throw new DataFormatError(fileName, `${columnName(0)} is ${value}, outside 0..${NUM_CLASSES - 1}`, line);
        }
        labels[count] = value;
      } else {
        if (value < 0 || value > 255) throw new DataFormatError(fileName, `${columnName(col)} is ${value}, outside 0..255`, line);
        images[base + col] = value;
      }
      if (col < COLUMNS - 1) {
        if (c !== COMMA) {
          throw new DataFormatError(fileName, `wrong column count: expected ${COLUMNS}, found ${col + 1}`, line);
        }
        pos++;
      } else if (c === COMMA) {
        throw new DataFormatError(fileName, `wrong column count: expected ${COLUMNS}, found ${countColumns(bytes, lineStart)}`, line);
      }
    }
    // Here c is CR, LF or past the end.
    if (c === CR) {
      pos++;
      if (pos < n && bytes[pos] !== LF) {
        throw new DataFormatError(fileName, 'carriage return inside a line (expected LF or CRLF line ends)', line);
      }
    }
    pos++;
    count++;
    line++;
  }
  if (count === 0) throw new DataFormatError(fileName, 'no data rows');
  return {
    images: images.subarray(0, count * IMAGE_PIXELS),
    labels: labels.subarray(0, count),
    count,
    rows: IMAGE_ROWS,
    cols: IMAGE_COLS,
  };
}

/**
 * Reads and parses a CSV file in the paper's layout, raw or gzip (Node only).
 * @throws DataFormatError as {@link parseCsv}, naming `path`
 */
export async function readCsvFile(path: string): Promise<ImageSet> {
  return parseCsv(await readDataFile(path), path);
}
