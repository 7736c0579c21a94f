/**
 * Cost figures: the JSON of `llmops cost --format json`, and the messages the editor uses for the
 * CodeLens breakdown and the status bar. Typed once here, imported by the runtime and the extension.
 */
import type { MemoryBreakdown } from '../core/cost/estimates';
import type { ModelArch } from '../core/cost/modelSize';
import type { RequestDef } from './runtime';

export type TrainMethod = 'lora' | 'qlora' | 'full';

export interface CostOptions {
  model?: string;
  epochs?: number;
  gpu?: string;
  method?: TrainMethod;
  mfu?: number;
  /** The hosted model the customised one replaces, for the ROI (default gpt-4o). */
  apiModel?: string;
  /** Setup effort (data preparation, training, evaluation) in hours (default 40) and its rate (default $30/h). */
  setupHours?: number;
  hourlyRateUsd?: number;
}

/** Break-even of customising vs calling a hosted model, at the project's volume. */
export interface RoiSummary {
  apiModel: string;
  apiMonthlyUsd: number;
  customMonthlyUsd: number;
  /** What the custom monthly figure is: the fine-tuned hosted model or a self-hosted GPU. */
  custom: string;
  setupHours: number;
  hourlyRateUsd: number;
  trainingCostUsd: number;
  upfrontUsd: number;
  monthlySavingsUsd: number;
  /** Null when the custom model saves nothing per month. */
  breakEvenMonths: number | null;
}

export interface GpuCost {
  arch: ModelArch;
  name: string;
  method: TrainMethod;
  params: number;
  paramsSource: string;
  flops: number;
  mfu: number;
  hours: number;
  costUsd: number;
  hourlyUsd: number;
  memory: MemoryBreakdown;
  fits: boolean;
  chosen: 'option' | 'cheapest that fits' | 'largest';
}

export interface InferenceCost {
  promptTokens: number;
  outputTokens: number;
  /** Where the per-request token figures come from. */
  tokensSource: string;
  monthlyRequests: number | null;
  hosted: { model: string; perRequestUsd: number; perMonthUsd: number | null; inputPerMillion: number; outputPerMillion: number; source: string } | null;
  selfHosted: { gpu: string; tokensPerSecond: number; gpuHoursPerMonth: number; perMonthUsd: number; perRequestUsd: number } | null;
}

/** The JSON of `llmops cost --format json` (first keys as the issue names them). */
export interface CostReport {
  model: string;
  tokenizer: string;
  exact: boolean;
  records: number;
  tokens: number;
  billedTokens: number;
  epochs: number;
  trainingCostUsd: number | null;
  gpu: GpuCost | null;
  inference: InferenceCost;
  file?: string;
  epochsDefaulted: boolean;
  /** Per-example limit used to clip billed tokens, and where it comes from. */
  limit: { tokens: number; source: string } | null;
  /** Where `trainingCostUsd` comes from. */
  trainingCostSource: 'hosted' | 'gpu' | null;
  trainingPrice: { perMillionTokens: number; source: string; date: string; overridden: boolean } | null;
  catalog: { date: string; source: string; license: string };
  /** Share of records counted when the token figure is a sampled estimate (1 otherwise). */
  sampled: number;
  /** Null without a monthly volume in llmops.yaml or a price for the API model. */
  roi: RoiSummary | null;
  notes: string[];
}


/** One row of the per-model / per-GPU comparison in the breakdown view. */
export interface CostComparisonRow {
  kind: 'hosted' | 'gpu';
  name: string;
  provider: string;
  /** Billed tokens and price, or hours × $/h, in words. */
  detail: string;
  costUsd: number | null;
  hours?: number;
  fits?: boolean;
  source: string;
  /** The row the CodeLens shows. */
  current: boolean;
}

export interface CostBreakdown {
  uri: string;
  /** Why there is no report (no model configured, …). */
  problem: string | null;
  report: CostReport | null;
  comparison: CostComparisonRow[];
}

/** Sent by the extension (CodeLens click): the full report of an open dataset and the comparison. */
export const CostBreakdownRequest: RequestDef<{ uri: string }, CostBreakdown | null> = { method: 'llmops/costBreakdown' };

export interface CostSummary {
  uri: string;
  /** True when the figures are for the selected records only. */
  selection: boolean;
  records: number;
  tokens: number;
  exact: boolean;
  model: string;
  tokenizer: string;
  /** The fine-tune's cost, or the selection's share of it. */
  trainingCostUsd: number | null;
  epochs: number;
  sampled: number;
}

/** Sent by the extension (status bar): tokens and cost of an open dataset, or of the records on the selected lines. */
export const CostSummaryRequest: RequestDef<{ uri: string; ranges?: { start: number; end: number }[] }, CostSummary | null> = { method: 'llmops/costSummary' };

/** Sent by the runtime when an open dataset's cost figures changed (the status bar re-asks). */
export const CostChangedNotification = { method: 'llmops/costChanged' } as { readonly method: string; readonly _types?: { uri: string } };
