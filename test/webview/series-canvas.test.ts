/**
 * The canvas forms of the attention strip and the head sparklines (what the live series view draws
 * per hover), in Chromium: the strip's SVG keeps the same bars (position, weight) as transparent
 * targets and the canvas paints each bar where the SVG form would, at its opacity, and nothing where
 * a weight is zero; the grid's SVG keeps every cell's label and the canvas paints each sparkline in
 * its own cell, with the marker where one is asked for.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { lensFixture, seriesFixture } from './fixtures';
import { WebviewHarness } from './harness';

let h: WebviewHarness;
before(async () => {
  h = await WebviewHarness.launch();
});
after(async () => {
  await h?.close();
});

interface Bar {
  p: string | null;
  w: string | null;
  x: number;
  width: number;
  y: number;
  h: number;
  o: string | null;
}

describe('series view canvases in Chromium', { timeout: 120_000 }, () => {
  test('attention strip: the canvas paints the bars the SVG form draws; the SVG keeps their positions and weights', async () => {
    const v = await h.openComponents();
    try {
      const s = seriesFixture();
      const position = 60;
      const weights = lensFixture(position).rows[2][3];
      const r = await v.page.evaluate(
        ({ s, weights, zeroRow }) => {
          // eslint-disable-next-line @typescript-eslint/no-explicit-any
          const C = (window as any).__components;
          const data = { index: s.index, values: s.values, context: s.context };
          const layout = C.seriesLayout(data, { width: 760, height: 280, xDomain: [s.context.start - 4, s.totalRows + 2] });
          const strip = { weights, contextStart: s.context.start, label: 'L2.H3' };
          const opts = { layout, height: 72 };
          const svgForm = C.renderAttentionStrip(strip, opts) as SVGSVGElement;
          const canvasForm = C.renderAttentionStrip(strip, { ...opts, bars: 'canvas' }) as SVGSVGElement;
          const canvas = document.createElement('canvas');
          canvas.width = 760;
          canvas.height = 72;
          const ctx = canvas.getContext('2d') as CanvasRenderingContext2D;
          C.drawAttentionBars(ctx, strip, { ...opts, fill: 'rgb(0, 0, 255)' });
          const bars = (svg: SVGSVGElement) =>
            [...svg.querySelectorAll('rect.weight')].map((e) => ({
              p: e.getAttribute('data-position'),
              w: e.getAttribute('data-weight'),
              x: Number(e.getAttribute('x')),
              width: Number(e.getAttribute('width')),
              y: Number(e.getAttribute('y')),
              h: Number(e.getAttribute('height')),
              o: e.getAttribute('fill-opacity'),
            }));
          const alphaAt = (x: number, y: number) => ctx.getImageData(Math.floor(x), Math.floor(y), 1, 1).data[3];
          const a = bars(svgForm);
          return {
            svgBars: a,
            canvasBars: bars(canvasForm),
            // the bar's centre column: just above its bottom, and 2 px above its top
            inside: a.map((b) => alphaAt(b.x + b.width / 2, b.y + b.h - 0.5)),
            above: a.map((b) => alphaAt(b.x + b.width / 2, b.y - 2)),
            zero: alphaAt(layout.x(zeroRow), 4 + 42 - 0.5),
          };
        },
        { s, weights, zeroRow: s.context.start + position + 15 },
      );
      const svgBars = r.svgBars as Bar[];
      const canvasBars = r.canvasBars as Bar[];
      assert.equal(svgBars.length, weights.filter((w) => w > 0).length);
      assert.deepEqual(
        canvasBars.map((b) => [b.p, b.w, b.x, b.width]),
        svgBars.map((b) => [b.p, b.w, b.x, b.width]),
        'the same bars, with their positions and weights',
      );
      for (const b of canvasBars) assert.deepEqual([b.y, b.h, b.o], [18, 42, '0'], 'transparent targets the height of the strip');
      let checked = 0;
      svgBars.forEach((b, i) => {
        if (b.h < 2) return;
        checked++;
        const want = Math.round(255 * Number(b.o));
        assert.ok(Math.abs(r.inside[i] - want) <= 3, `bar at position ${b.p}: alpha ${r.inside[i]}, want ${want} (fill-opacity ${b.o})`);
        assert.equal(r.above[i], 0, `nothing above bar ${b.p}`);
      });
      assert.ok(checked >= 5, `${checked} bars checked`);
      assert.equal(r.zero, 0, 'nothing where the weight is zero');
      assert.deepEqual(v.errors, []);
    } finally {
      await v.close();
    }
  });

  test('head sparklines: the SVG keeps every cell and label; the canvas paints each sparkline in its cell and the marker', async () => {
    const v = await h.openComponents();
    try {
      const rows = lensFixture(70).rows.map((layer) => layer.map((row) => row.slice(0, 48)));
      rows[1][2] = []; // a head without a row: an empty cell
      const r = await v.page.evaluate(
        ({ rows }) => {
          // eslint-disable-next-line @typescript-eslint/no-explicit-any
          const C = (window as any).__components;
          const opts = { cellWidth: 40, marker: 30, interactive: true };
          const svgForm = C.renderHeadSparklines(rows, opts) as SVGSVGElement;
          const canvasForm = C.renderHeadSparklines(rows, { ...opts, areas: 'canvas' }) as SVGSVGElement;
          const size = C.headSparklinesSize(rows, opts) as { width: number; height: number };
          const draw = (marker: number | undefined) => {
            const canvas = document.createElement('canvas');
            canvas.width = size.width;
            canvas.height = size.height;
            const ctx = canvas.getContext('2d') as CanvasRenderingContext2D;
            C.drawHeadSparklines(ctx, rows, { ...opts, marker, fill: 'rgb(0, 0, 255)', marked: 'rgb(255, 0, 0)' });
            return ctx.getImageData(0, 0, size.width, size.height).data;
          };
          const withMarker = draw(30);
          const without = draw(undefined);
          const cw = 40;
          const ch = 26;
          const cells: { painted: number; red: number; redWithout: number }[][] = [];
          for (let l = 0; l < rows.length; l++) {
            cells.push([]);
            for (let h = 0; h < rows[l].length; h++) {
              const gx = 30 + h * (cw + 4);
              const gy = 18 + l * (ch + 4);
              let painted = 0;
              let red = 0;
              let redWithout = 0;
              for (let y = gy; y < gy + ch; y++) {
                for (let x = gx; x < gx + cw; x++) {
                  const i = (y * size.width + x) * 4;
                  if (withMarker[i + 3] > 0) painted++;
                  if (withMarker[i] > 100) red++;
                  if (without[i] > 100) redWithout++;
                }
              }
              cells[l].push({ painted, red, redWithout });
            }
          }
          let outside = 0;
          for (let y = 0; y < size.height; y++) for (let x = 0; x < size.width; x++) if ((x < 30 || y < 18) && withMarker[(y * size.width + x) * 4 + 3] > 0) outside++;
          const labels = (svg: SVGSVGElement) => [...svg.querySelectorAll('.spark')].map((g) => g.getAttribute('aria-label'));
          return {
            svgLabels: labels(svgForm),
            canvasLabels: labels(canvasForm),
            areasInCanvasForm: canvasForm.querySelectorAll('.spark-area, .spark-marker').length,
            cells,
            outside,
          };
        },
        { rows },
      );
      assert.equal(r.canvasLabels.length, 4 * 8);
      assert.deepEqual(r.canvasLabels, r.svgLabels, 'the same labels (peak position and weight)');
      assert.match(r.canvasLabels[0] ?? '', /^Layer 0, head 0: peak at position \d+ \(0\.\d{3}\)$/);
      assert.equal(r.areasInCanvasForm, 0, 'the areas and markers are on the canvas only');
      assert.equal(r.outside, 0, 'nothing painted over the head and layer labels');
      r.cells.forEach((layer, l) =>
        layer.forEach((c, hh) => {
          if (l === 1 && hh === 2) assert.equal(c.painted, 0, 'an empty row paints nothing');
          else {
            assert.ok(c.painted > 40, `L${l}.H${hh}: ${c.painted} pixels painted`);
            assert.ok(c.red > 0, `L${l}.H${hh}: the marker`);
            assert.equal(c.redWithout, 0, `L${l}.H${hh}: no marker when none is asked for`);
          }
        }),
      );
      assert.deepEqual(v.errors, []);
    } finally {
      await v.close();
    }
  });
});
