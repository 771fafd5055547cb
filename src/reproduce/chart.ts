/** Test accuracy per epoch for every reproduced row, as an SVG (Vega-Lite, rendered headless). */
export interface EpochPoint {
  row: string;
  epoch: number;
  testAccuracy: number;
}

export async function accuracyChartSvg(
  points: readonly EpochPoint[],
  paperLines: readonly { row: string; accuracy: number }[],
): Promise<string> {
  // Loaded on demand: only `reproduce` draws charts, and Vega is the heaviest dependency.
  const [vega, { compile }] = await Promise.all([import('vega'), import('vega-lite')]);
  const spec = compile({
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: "Fashion-MNIST test accuracy per epoch (dashed: the paper's final figure)",
    width: 640,
    height: 380,
    layer: [
      {
        data: { values: points.map((p) => ({ ...p })) },
        mark: { type: 'line', point: points.length <= 60 },
        encoding: {
          x: { field: 'epoch', type: 'quantitative', title: 'epoch' },
          y: { field: 'testAccuracy', type: 'quantitative', title: 'test accuracy', scale: { zero: false }, axis: { format: '.0%' } },
          color: { field: 'row', type: 'nominal', title: 'configuration' },
        },
      },
      {
        data: { values: paperLines.map((p) => ({ ...p })) },
        mark: { type: 'rule', strokeDash: [4, 4] },
        encoding: {
          y: { field: 'accuracy', type: 'quantitative' },
          color: { field: 'row', type: 'nominal' },
        },
      },
    ],
  }).spec;
  const view = new vega.View(vega.parse(spec), { renderer: 'none' });
  return view.toSVG();
}
