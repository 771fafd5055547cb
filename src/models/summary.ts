/** `Sequential.summary()`: Keras' text table of layers, output shapes and parameter counts. */
import type { Layer } from '../layers/layer.js';
import { outputShapeOf } from './plan.js';

/**
 * A Keras-style text table: layer (type), output shape, parameter count; then the totals, trainable
 * and not (batch normalisation's moving statistics).
 */
export function formatSummary(name: string, layers: readonly Layer[]): string {
  const slots = layers.flatMap((layer) => layer.parameters);
  const total = slots.reduce((n, slot) => n + slot.length, 0);
  const frozen = slots.reduce((n, slot) => n + (slot.trainable ? 0 : slot.length), 0);
  const rows = layers.map((layer) => [
    `${layer.name} (${layer.className})`,
    `(None, ${outputShapeOf(layer).join(', ')})`,
    String(layer.parameters.reduce((n, p) => n + p.length, 0)),
  ]);
  const header = ['Layer (type)', 'Output Shape', 'Param #'];
  const widths = [0, 1, 2].map((c) => Math.max(header[c]!.length, ...rows.map((r) => r[c]!.length)) + 2);
  const line = (cells: string[]) => ` ${cells[0]!.padEnd(widths[0]!)}${cells[1]!.padEnd(widths[1]!)}${cells[2]!.padStart(widths[2]! - 2)}`;
  const width = widths.reduce((a, b) => a + b, 0) + 1;
  const out = [
    `Model: "${name}"`,
    '_'.repeat(width),
    line(header),
    '='.repeat(width),
    ...rows.flatMap((r, i) => [line(r), ...(i < rows.length - 1 ? ['_'.repeat(width)] : [])]),
    '='.repeat(width),
    `Total params: ${total.toLocaleString('en-US')} (${formatBytes(total * 4)})`,
    `Trainable params: ${(total - frozen).toLocaleString('en-US')} (${formatBytes((total - frozen) * 4)})`,
    `Non-trainable params: ${frozen.toLocaleString('en-US')} (${formatBytes(frozen * 4)})`,
    '_'.repeat(width),
  ];
  return out.join('\n');
}

function formatBytes(bytes: number): string {
  const units = ['B', 'KB', 'MB', 'GB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${value.toFixed(2)} ${units[unit]}`;
}
