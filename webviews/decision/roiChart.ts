/**
 * Geometry of the ROI chart (pure, no DOM): the cumulative cost of the API approach and of a custom
 * model as two polylines in SVG coordinates, the point where they cross (break-even), and axis ticks.
 * Drawn as inline SVG by main.ts: a few paths in theme colours, no chart library in the bundle.
 */
import type { DecisionRoi } from '../../src/core/decision/types';
import { formatUsdShort } from './model';

export interface Point {
  x: number;
  y: number;
}

export interface RoiChartGeometry {
  width: number;
  height: number;
  plot: { left: number; top: number; right: number; bottom: number };
  maxMonth: number;
  maxUsd: number;
  api: Point[];
  custom: Point[];
  /** SVG path data (`M x y L x y …`). */
  apiPath: string;
  customPath: string;
  /** Where the lines cross inside the chart (cumulative API cost catches up with the custom model's), or null. */
  crossing: (Point & { month: number; usd: number }) | null;
  xTicks: { month: number; x: number; label: string }[];
  yTicks: { usd: number; y: number; label: string }[];
}

export interface ChartSize {
  width: number;
  height: number;
  /** Room for the axis labels. */
  margin?: { left: number; top: number; right: number; bottom: number };
}

/** 1, 2, 2.5 or 5 × 10^k: the tick step for about `count` ticks up to `max`. */
export function niceStep(max: number, count: number): number {
  if (!(max > 0)) return 1;
  const raw = max / Math.max(1, count);
  const p = 10 ** Math.floor(Math.log10(raw));
  for (const m of [1, 2, 2.5, 5, 10]) if (m * p >= raw) return m * p;
  return 10 * p;
}

/**
 * The first month at which the API's cumulative cost reaches the custom model's, interpolated
 * linearly between the monthly points; null when it never does within the series.
 */
export function crossingMonth(cumulative: DecisionRoi['cumulative']): { month: number; usd: number } | null {
  for (let i = 0; i < cumulative.length; i++) {
    const c = cumulative[i];
    const d = c.api - c.custom;
    if (d >= 0) {
      if (i === 0) return { month: c.month, usd: c.custom };
      const p = cumulative[i - 1];
      const dp = p.api - p.custom; // < 0
      const t = dp / (dp - d);
      return { month: p.month + t * (c.month - p.month), usd: p.custom + t * (c.custom - p.custom) };
    }
  }
  return null;
}

const path = (pts: Point[]): string => pts.map((p, i) => `${i ? 'L' : 'M'}${round(p.x)} ${round(p.y)}`).join(' ');
const round = (v: number): number => Math.round(v * 10) / 10;

export function roiChartGeometry(cumulative: DecisionRoi['cumulative'], size: ChartSize): RoiChartGeometry {
  const m = size.margin ?? { left: 44, top: 8, right: 8, bottom: 22 };
  const plot = { left: m.left, top: m.top, right: size.width - m.right, bottom: size.height - m.bottom };
  const pts = cumulative.length ? cumulative : [{ month: 0, api: 0, custom: 0 }];
  const minMonth = Math.min(...pts.map((c) => c.month));
  const maxMonth = Math.max(minMonth + 1, ...pts.map((c) => c.month));
  const top = Math.max(1, ...pts.map((c) => Math.max(c.api, c.custom)));
  const yStep = niceStep(top, 4);
  const maxUsd = Math.ceil(top / yStep) * yStep;
  const sx = (month: number): number => plot.left + ((month - minMonth) / (maxMonth - minMonth)) * (plot.right - plot.left);
  const sy = (usd: number): number => plot.bottom - (usd / maxUsd) * (plot.bottom - plot.top);
  const api = pts.map((c) => ({ x: sx(c.month), y: sy(c.api) }));
  const custom = pts.map((c) => ({ x: sx(c.month), y: sy(c.custom) }));
  const cross = crossingMonth(pts);
  const xStep = Math.max(1, Math.round(niceStep(maxMonth - minMonth, 6)));
  const xTicks: RoiChartGeometry['xTicks'] = [];
  for (let mo = Math.ceil(minMonth / xStep) * xStep; mo <= maxMonth + 1e-9; mo += xStep) xTicks.push({ month: mo, x: sx(mo), label: String(mo) });
  const yTicks: RoiChartGeometry['yTicks'] = [];
  for (let u = 0; u <= maxUsd + 1e-9; u += yStep) yTicks.push({ usd: u, y: sy(u), label: formatUsdShort(u) });
  return {
    width: size.width,
    height: size.height,
    plot,
    maxMonth,
    maxUsd,
    api,
    custom,
    apiPath: path(api),
    customPath: path(custom),
    crossing: cross ? { ...cross, x: sx(cross.month), y: sy(cross.usd) } : null,
    xTicks,
    yTicks,
  };
}
