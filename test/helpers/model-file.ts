// Edits of model-file bytes that keep the framing and the CRC valid, so a test reaches the checks behind them.
import { crc32 } from '../../src/models/save.js';

/** Recomputes the trailing CRC so a test reaches the checks after it. */
export function reseal(bytes: Uint8Array): Uint8Array {
  new DataView(bytes.buffer, bytes.byteOffset).setUint32(bytes.length - 4, crc32(bytes.subarray(0, bytes.length - 4)), true);
  return bytes;
}

/** Rewrites the JSON header (keeping the framing valid). */
export function withHeader(bytes: Uint8Array, edit: (header: Record<string, unknown>) => void): Uint8Array {
  const view = new DataView(bytes.buffer, bytes.byteOffset);
  const length = view.getUint32(12, true);
  const header = JSON.parse(new TextDecoder().decode(bytes.subarray(16, 16 + length))) as Record<string, unknown>;
  edit(header);
  const json = new TextEncoder().encode(JSON.stringify(header));
  const oldWeightsAt = (16 + length + 3) & ~3;
  const newWeightsAt = (16 + json.length + 3) & ~3;
  const tail = bytes.subarray(oldWeightsAt);
  const out = new Uint8Array(newWeightsAt + tail.length);
  out.set(bytes.subarray(0, 12));
  new DataView(out.buffer).setUint32(12, json.length, true);
  out.set(json, 16);
  out.set(tail, newWeightsAt);
  return reseal(out);
}
