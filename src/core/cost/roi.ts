/**
 * Return on customising a model: an upfront cost (engineering hours × rate + training compute) paid
 * back by a lower monthly bill. Break-even is upfront ÷ monthly savings, in fractional months.
 */

export interface RoiInput {
  apiMonthlyUsd: number;
  customMonthlyUsd: number;
  setupHours: number;
  hourlyRateUsd: number;
  trainingCostUsd: number;
}

export interface RoiResult {
  monthlySavingsUsd: number;
  upfrontUsd: number;
  /** Null when the custom model saves nothing each month. */
  breakEvenMonths: number | null;
  /** Cumulative spend at the end of each month, 0..horizon; the custom line starts at the upfront cost. */
  cumulative: { month: number; api: number; custom: number }[];
}

/**
 * `horizonMonths` defaults to 12, or to one month past break-even when that is later (at most 60), so
 * a chart of `cumulative` always shows the lines cross.
 */
export function roi(i: RoiInput, horizonMonths?: number): RoiResult {
  const monthlySavingsUsd = i.apiMonthlyUsd - i.customMonthlyUsd;
  const upfrontUsd = i.setupHours * i.hourlyRateUsd + i.trainingCostUsd;
  const breakEvenMonths = monthlySavingsUsd > 0 ? upfrontUsd / monthlySavingsUsd : null;
  const horizon = Math.max(0, Math.floor(horizonMonths ?? Math.min(60, Math.max(12, breakEvenMonths === null ? 12 : Math.ceil(breakEvenMonths) + 1))));
  const cumulative: RoiResult['cumulative'] = [];
  for (let month = 0; month <= horizon; month++) {
    cumulative.push({ month, api: month * i.apiMonthlyUsd, custom: upfrontUsd + month * i.customMonthlyUsd });
  }
  return { monthlySavingsUsd, upfrontUsd, breakEvenMonths, cumulative };
}
