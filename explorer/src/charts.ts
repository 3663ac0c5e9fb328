/** Small live line charts (uPlot, bundled): one per figure, updated in place as scrapes arrive. */
import uPlot from 'uplot';

export interface SeriesSpec {
  readonly label: string;
  readonly stroke: string;
}

export interface LiveChart {
  readonly element: HTMLElement;
  update(x: readonly number[], ys: readonly (readonly number[])[]): void;
  /** Stops following the element's size. */
  destroy(): void;
}

const HEIGHT = 140;

/** A chart as wide as its element (a grid cell): it follows the cell's width as the window changes. */
export function liveChart(title: string, unit: string, series: readonly SeriesSpec[]): LiveChart {
  const element = document.createElement('div');
  element.className = 'chart';
  const options: uPlot.Options = {
    title,
    width: 300,
    height: HEIGHT,
    cursor: { show: false },
    legend: { show: series.length > 1, live: false },
    scales: { x: { time: false } },
    axes: [
      { stroke: '#555', grid: { stroke: '#eee' }, incrs: [1, 2, 5, 10, 15, 30, 60, 120, 300, 600], values: (_u, ticks) => ticks.map((t) => `${t} s`) },
      { stroke: '#555', grid: { stroke: '#eee' }, size: 50, values: (_u, ticks) => ticks.map((t) => `${formatTick(t)}${unit}`) },
    ],
    series: [{ label: 'time' }, ...series.map((s) => ({ label: s.label, stroke: s.stroke, width: 2, spanGaps: true, points: { show: true, size: 4 } }))],
  };
  const plot = new uPlot(options, [[], ...series.map(() => [])], element);
  const observer = new ResizeObserver(() => {
    const width = Math.floor(element.clientWidth) - 8;
    if (width > 0 && width !== plot.width) plot.setSize({ width, height: HEIGHT });
  });
  observer.observe(element);
  return {
    element,
    update(x, ys) {
      // uPlot draws a gap for null; a NaN (no block in the interval, a failed scrape) is one.
      plot.setData([[...x], ...ys.map((y) => y.map((v) => (Number.isFinite(v) ? v : null)))] as uPlot.AlignedData);
    },
    destroy() {
      observer.disconnect();
      plot.destroy();
    },
  };
}

function formatTick(value: number): string {
  if (value === 0) return '0';
  if (Math.abs(value) >= 1000) return `${(value / 1000).toFixed(value % 1000 === 0 ? 0 : 1)}k`;
  return Number.isInteger(value) ? String(value) : value.toPrecision(2);
}
