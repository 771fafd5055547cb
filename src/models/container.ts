/**
 * The framing that model files (save.ts) and training checkpoints (checkpoint.ts) share:
 *
 * | offset | size | field                                                                     |
 * |--------|------|---------------------------------------------------------------------------|
 * | 0      | 8    | magic: `89 46 4D 4E` ("\x89FMN"), a kind letter, `0D 0A 1A` (as PNG's signature, the high byte and CR LF expose 7-bit and newline-translating transfers) |
 * | 8      | 4    | format version                                                            |
 * | 12     | 4    | H = header length                                                         |
 * | 16     | H    | header: UTF-8 JSON, one object (each kind's own schema)                   |
 * | …      | …    | the body: parts back to back, each starting at a multiple of 4            |
 * | end−4  | 4    | CRC-32 of every byte before it                                            |
 *
 * Integers are unsigned 32-bit little-endian. Reading checks magic, version, lengths, CRC and that the
 * header is JSON, in that order; what the header says is the caller's to check. Pure: works in browsers.
 */
import { ModelFileError } from '../errors.js';
import { align4, crc32, hex32 } from '../util/bytes.js';
import { SchemaProblem, type Check } from '../util/schema.js';

export interface ContainerKind {
  /** How messages call a file of this kind: `fmnist-wasm model file`. */
  noun: string;
  magic: readonly number[];
  version: number;
}

const PREAMBLE_BYTES = 16;

/** The file: preamble, header JSON, `parts` each at a multiple of 4, CRC-32. */
export function writeContainer(kind: ContainerKind, header: unknown, parts: readonly Uint8Array[]): Uint8Array {
  const headerBytes = new TextEncoder().encode(JSON.stringify(header));
  let at = align4(PREAMBLE_BYTES + headerBytes.length);
  const offsets = parts.map((part) => {
    const offset = at;
    at = align4(at + part.length);
    return offset;
  });
  const out = new Uint8Array(at + 4);
  const view = new DataView(out.buffer);
  out.set(kind.magic, 0);
  view.setUint32(8, kind.version, true);
  view.setUint32(12, headerBytes.length, true);
  out.set(headerBytes, PREAMBLE_BYTES);
  parts.forEach((part, i) => out.set(part, offsets[i]!));
  view.setUint32(at, crc32(out.subarray(0, at)), true);
  return out;
}

export interface Container {
  /** The parsed JSON header, unchecked. */
  header: unknown;
  /** Where the body starts (a multiple of 4) and ends (the CRC's offset). */
  bodyAt: number;
  bodyEnd: number;
  view: DataView;
}

/**
 * Checks the framing and the checksum, decodes the header. `bodyLength`, when the kind records its
 * body's length in the body itself, reads it (so a truncated file says so, before the checksum does).
 * @throws ModelFileError naming `source`.
 */
export function readContainer(
  bytes: Uint8Array,
  kind: ContainerKind,
  source: string,
  bodyLength?: (view: DataView, bodyAt: number, fail: (problem: string) => never) => number,
): Container {
  const fail = (problem: string): never => {
    throw new ModelFileError(source, problem);
  };
  if (!(bytes instanceof Uint8Array)) fail('expected the file bytes as a Uint8Array');
  const magicBytes = Math.min(bytes.length, kind.magic.length);
  for (let i = 0; i < magicBytes; i++) if (bytes[i] !== kind.magic[i]) fail(`not an ${kind.noun} (bad magic bytes)`);
  if (bytes.length < PREAMBLE_BYTES + 4) {
    fail(`truncated: ${bytes.length} bytes, shorter than the ${PREAMBLE_BYTES}-byte preamble and the checksum`);
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const version = view.getUint32(8, true);
  if (version !== kind.version) fail(`unsupported format version ${version} (this build reads version ${kind.version})`);
  const headerLength = view.getUint32(12, true);
  const bodyAt = align4(PREAMBLE_BYTES + headerLength);
  if (bytes.length < bodyAt + 4) {
    fail(`truncated: the header says ${headerLength} header bytes, but the file has ${bytes.length} bytes in all`);
  }
  let bodyEnd = bytes.length - 4;
  if (bodyLength !== undefined) {
    const expected = bodyAt + bodyLength(view, bodyAt, fail) + 4;
    if (bytes.length < expected) fail(`truncated: expected ${expected} bytes, got ${bytes.length}`);
    if (bytes.length > expected) fail(`trailing bytes: expected ${expected} bytes, got ${bytes.length}`);
    bodyEnd = expected - 4;
  }
  const stored = view.getUint32(bodyEnd, true);
  const computed = crc32(bytes.subarray(0, bodyEnd));
  if (stored !== computed) {
    fail(`checksum mismatch: stored CRC-32 ${hex32(stored)}, computed ${hex32(computed)} (the file is corrupt or truncated)`);
  }
  let header: unknown;
  try {
    header = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(PREAMBLE_BYTES, PREAMBLE_BYTES + headerLength)));
  } catch (error) {
    throw new ModelFileError(source, `the header is not valid UTF-8 JSON (${(error as Error).message})`, { cause: error });
  }
  return { header, bodyAt, bodyEnd, view };
}

/**
 * `value` (a header, a manifest) checked against `check`.
 * @throws ModelFileError naming `source`, `what` was being read and the field: `bad header: config.batchSize: …`.
 */
export function checkSchema<T>(check: Check<T>, value: unknown, source: string, what = ''): T {
  try {
    return check(value, '');
  } catch (error) {
    if (error instanceof SchemaProblem) throw new ModelFileError(source, what === '' ? error.message : `${what}: ${error.message}`);
    throw error;
  }
}
