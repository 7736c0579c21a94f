/**
 * The cost of fine-tuning on a dataset and of serving the result, from the dataset's real token
 * counts, the bundled price catalog (with llmops.yaml `prices:` overrides) and the base model's
 * size: what `llmops cost` prints and what the editor's CodeLens and breakdown show.
 */
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { PriceCatalog, type GpuSpec, type PriceProblem } from '../core/cost/catalog';
import { gpuTraining, hostedFineTune, hostedInference, selfHostedInference, trainingMemory, type MemoryBreakdown } from '../core/cost/estimates';
import type { CostComparisonRow, CostOptions, CostReport, GpuCost, InferenceCost, RoiSummary } from '../protocol/cost';
import { roi } from '../core/cost/roi';
import { formatHours as hours, formatInt as int, formatUsd as usd } from '../core/cost/format';
import { archFromConfig, knownArch, type ModelArch } from '../core/cost/modelSize';
import { clippedSum, type DatasetTokens } from './datasetTokens';
import type { Project } from './project';
import { modelConfigPath, openAiBaseModel } from './tokenizers';

export type { CostReport, CostOptions, GpuCost, InferenceCost, TrainMethod } from '../protocol/cost';

const SNAPSHOT = {
  source: 'AgentOps-AI/tokencost model_prices.json @ e7f7c19 (from BerriAI/litellm)',
  date: '2025-09-05',
  license: 'MIT (see THIRD_PARTY_NOTICES.md / data/model_prices.LICENSE)',
};

let baseCatalog: PriceCatalog | undefined;

/** The bundled catalog: dist/data next to the runtime bundle, or the repository's data/ (tests). */
export function bundledCatalog(): PriceCatalog {
  if (baseCatalog) return baseCatalog;
  const candidates = [path.join(__dirname, 'data', 'model_prices.json'), path.join(__dirname, '..', '..', 'data', 'model_prices.json')];
  for (const file of candidates) {
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch {
      continue;
    }
    baseCatalog = PriceCatalog.create(JSON.parse(text), SNAPSHOT);
    return baseCatalog;
  }
  throw new Error(`the price catalog is missing (looked in ${candidates.join(', ')})`);
}

const projectCatalogs = new WeakMap<object, { catalog: PriceCatalog; problems: PriceProblem[] }>();

/** The bundled catalog with the project's `prices:` overrides (which win everywhere). */
export function catalogFor(project: Project | undefined): { catalog: PriceCatalog; problems: PriceProblem[] } {
  const base = bundledCatalog();
  const prices = project?.manifest?.prices;
  if (!prices || !project?.manifest) return { catalog: base, problems: [] };
  let hit = projectCatalogs.get(project.manifest);
  if (!hit) {
    hit = base.withOverrides(prices);
    projectCatalogs.set(project.manifest, hit);
  }
  return hit;
}

const arches = new WeakMap<Project, Map<string, ModelArch | undefined>>();

/**
 * The base model's architecture: its config.json next to the tokenizer, else the known-size table.
 * Read once per project load (every recount of an edited dataset asks again).
 */
export function archFor(model: string, project: Project): ModelArch | undefined {
  let known = arches.get(project);
  if (!known) arches.set(project, (known = new Map()));
  if (!known.has(model)) known.set(model, readArch(model, project));
  return known.get(model);
}

function readArch(model: string, project: Project): ModelArch | undefined {
  const file = modelConfigPath(model, { projectRoot: project.root });
  if (file) {
    try {
      const arch = archFromConfig(JSON.parse(readFileSync(file, 'utf8')));
      if (arch) return { ...arch, source: path.relative(project.root, file) || file };
    } catch {
      // unreadable config: fall back to the table
    }
  }
  return knownArch(model);
}

export interface CostContext {
  project: Project;
  model: string;
  /** Per-example limit for billing (OpenAI's training context, or max_seq_len). */
  limit?: { tokens: number; source: string };
  file?: string;
}

const round = (x: number, digits = 2): number => (x !== 0 && Math.abs(x) < 1 ? Number(x.toPrecision(3)) : Math.round(x * 10 ** digits) / 10 ** digits);

export function costReport(t: DatasetTokens, ctx: CostContext, opts: CostOptions = {}): CostReport {
  const { catalog } = catalogFor(ctx.project);
  const notes: string[] = [];
  const model = ctx.model;
  const isOpenAi = openAiBaseModel(model) !== null;
  const limit = ctx.limit;
  const clipped = clippedSum(t, limit?.tokens);
  const price = catalog.training(model);
  const ft = hostedFineTune({ sumClipped: clipped, sum: t.tokens, records: t.records }, { epochs: opts.epochs, limit: limit?.tokens, price });
  if (!t.exact) notes.push(t.sampled < 1 ? `tokens estimated from ${(t.sampled * 100).toFixed(1)}% of the records` : `tokens are an estimate: ${t.tokenizer.reason ?? 'no exact tokenizer'}`);
  if (isOpenAi && !price) notes.push(`no training price for ${model}; known fine-tunable models: ${catalog.suggest(model, 'training', 4).join(', ')}`);

  let gpu: GpuCost | null = null;
  const arch = isOpenAi ? undefined : archFor(model, ctx.project);
  if (!isOpenAi) {
    if (!arch) notes.push(`the size of ${model} is unknown (no config.json found and not in the known-size table): no GPU estimate`);
    else gpu = gpuCost(arch, ft.billedTokens / Math.max(ft.epochs, 1), ft.epochs, opts, catalog, limit?.tokens ?? 2048, notes);
  }
  const trainingCostUsd = price && ft.costUsd !== null ? round(ft.costUsd) : gpu ? round(gpu.costUsd) : null;

  // Per request: the project's expected traffic, else a record of this dataset as the prompt.
  const volume = ctx.project.manifest?.volume;
  const meanTokens = t.records ? t.tokens / t.records : 0;
  const promptTokens = volume?.avg_prompt_tokens ?? Math.round(meanTokens);
  const outputTokens = volume?.avg_output_tokens ?? 100;
  const tokensSource = volume?.avg_prompt_tokens !== undefined ? 'llmops.yaml volume' : 'mean record of this dataset as the prompt, 100 output tokens';
  const monthly = volume?.monthly_requests ?? null;
  const infPrice = isOpenAi ? (catalog.fineTunedInference(model) ?? catalog.inference(model)) : catalog.inference(model);
  let hosted: InferenceCost['hosted'] = null;
  if (infPrice) {
    const h = hostedInference({ promptTokens, outputTokens, monthlyRequests: monthly ?? undefined, price: infPrice });
    hosted = { model: infPrice.model, perRequestUsd: h.perRequestUsd, perMonthUsd: h.perMonthUsd === null ? null : round(h.perMonthUsd), inputPerMillion: round(infPrice.inputPerToken * 1e6, 4), outputPerMillion: round(infPrice.outputPerToken * 1e6, 4), source: infPrice.source };
  }
  let selfHosted: InferenceCost['selfHosted'] = null;
  if (arch && gpu) {
    // Serving needs the bf16 weights plus room for the KV cache: the cheapest GPU per hour that holds them.
    const need = (arch.params * 2) / 1e9 + 4;
    const spec = opts.gpu ? (catalog.gpu(gpu.name) as GpuSpec) : ([...catalog.gpus()].filter((g) => g.memoryGb >= need).sort((a, b) => a.hourlyUsd - b.hourlyUsd)[0] ?? (catalog.gpu(gpu.name) as GpuSpec));
    // Batched decoding at ~10% of peak: 2·N FLOPs per generated token.
    const tokensPerSecond = Math.round((spec.peakBf16Tflops * 1e12 * 0.1) / (2 * arch.params));
    const s = selfHostedInference({ gpu: spec, tokensPerSecond, promptTokens, outputTokens, monthlyRequests: monthly ?? 0 });
    selfHosted = { gpu: spec.name, tokensPerSecond, gpuHoursPerMonth: round(s.gpuHoursPerMonth, 1), perMonthUsd: round(s.perMonthUsd), perRequestUsd: s.perRequestUsd };
  }

  // ROI: the hosted API model vs the custom model's monthly cost (hosted fine-tune, else self-hosted).
  let roiSummary: RoiSummary | null = null;
  const apiModel = opts.apiModel ?? 'gpt-4o';
  const apiPrice = catalog.inference(apiModel);
  const customMonthly = hosted?.perMonthUsd ?? selfHosted?.perMonthUsd ?? null;
  if (monthly !== null && apiPrice && customMonthly !== null) {
    const api = hostedInference({ promptTokens, outputTokens, monthlyRequests: monthly, price: apiPrice });
    const setupHours = opts.setupHours ?? 40;
    const hourlyRateUsd = opts.hourlyRateUsd ?? 30;
    const training = trainingCostUsd ?? 0;
    const r = roi({ apiMonthlyUsd: api.perMonthUsd ?? 0, customMonthlyUsd: customMonthly, setupHours, hourlyRateUsd, trainingCostUsd: training });
    roiSummary = {
      apiModel: apiPrice.model,
      apiMonthlyUsd: round(api.perMonthUsd ?? 0),
      customMonthlyUsd: customMonthly,
      custom: hosted ? `hosted ${hosted.model}` : `self-hosted on ${selfHosted?.gpu}`,
      setupHours,
      hourlyRateUsd,
      trainingCostUsd: training,
      upfrontUsd: round(r.upfrontUsd),
      monthlySavingsUsd: round(r.monthlySavingsUsd),
      breakEvenMonths: r.breakEvenMonths === null ? null : round(r.breakEvenMonths),
    };
  } else if (monthly !== null && !apiPrice) notes.push(`no price for the API model "${apiModel}" (ROI left out); did you mean ${catalog.suggest(apiModel, 'inference', 3).join(', ')}?`);

  return {
    model,
    tokenizer: t.tokenizer.name,
    exact: t.exact,
    records: t.records,
    tokens: t.tokens,
    billedTokens: ft.billedTokens,
    epochs: ft.epochs,
    trainingCostUsd,
    gpu,
    inference: { promptTokens, outputTokens, tokensSource, monthlyRequests: monthly, hosted, selfHosted },
    ...(ctx.file ? { file: ctx.file } : {}),
    epochsDefaulted: ft.epochsDefaulted,
    limit: limit ? { tokens: limit.tokens, source: limit.source } : null,
    trainingCostSource: price && ft.costUsd !== null ? 'hosted' : gpu ? 'gpu' : null,
    trainingPrice: price && price.perMillionTokens !== undefined ? { perMillionTokens: price.perMillionTokens, source: price.source, date: price.date, overridden: !!price.overridden } : null,
    catalog: { date: catalog.snapshot.date, source: catalog.snapshot.source, license: catalog.snapshot.license },
    sampled: t.sampled,
    roi: roiSummary,
    notes,
  };
}

function gpuCost(arch: ModelArch, tokensPerEpoch: number, epochs: number, opts: CostOptions, catalog: PriceCatalog, seqLen: number, notes: string[]): GpuCost | null {
  const method = opts.method ?? 'lora';
  const mfu = opts.mfu ?? 0.35;
  const memFor = (g: GpuSpec): MemoryBreakdown => trainingMemory({ arch, method, seqLen: Math.min(seqLen, 4096), batch: 1, gpu: g, gradientCheckpointing: true });
  let spec: GpuSpec | undefined;
  let chosen: GpuCost['chosen'] = 'option';
  if (opts.gpu) {
    spec = catalog.gpu(opts.gpu);
    if (!spec) {
      notes.push(`unknown GPU "${opts.gpu}"; did you mean ${catalog.suggest(opts.gpu, 'gpu', 3).join(', ')}?`);
      return null;
    }
  } else {
    const fitting = catalog
      .gpus()
      .filter((g) => memFor(g).fits)
      .map((g) => ({ g, cost: gpuTraining({ params: arch.params, tokensPerEpoch, epochs, method, gpu: g, mfu }).costUsd }))
      .sort((a, b) => a.cost - b.cost);
    if (fitting.length) {
      spec = fitting[0].g;
      chosen = 'cheapest that fits';
    } else {
      spec = [...catalog.gpus()].sort((a, b) => b.memoryGb - a.memoryGb)[0];
      chosen = 'largest';
    }
  }
  const est = gpuTraining({ params: arch.params, tokensPerEpoch, epochs, method, gpu: spec, mfu });
  const memory = memFor(spec);
  if (!memory.fits) notes.push(`${method} of a ${(arch.params / 1e9).toFixed(2)}B model needs ≈${memory.totalGb.toFixed(1)} GB: more than the ${spec.memoryGb} GB of ${spec.name}`);
  return { arch, name: spec.name, method, params: arch.params, paramsSource: arch.source, flops: est.flops, mfu, hours: est.hours, costUsd: est.costUsd, hourlyUsd: spec.hourlyUsd, memory, fits: memory.fits, chosen };
}

/**
 * The same dataset priced on every fine-tunable hosted model and every GPU in the catalog, the
 * row of the report marked. Hosted rows reuse this dataset's token count (tokenizers of other
 * providers differ by a few percent: the detail says which tokenizer counted).
 */
export function comparisonRows(r: CostReport, catalog: PriceCatalog = bundledCatalog()): CostComparisonRow[] {
  const rows: CostComparisonRow[] = [];
  const perEpoch = r.epochs ? r.billedTokens / r.epochs : r.tokens;
  for (const p of catalog.trainingModels()) {
    if (p.perMillionTokens === undefined) continue;
    const billed = perEpoch * r.epochs;
    rows.push({
      kind: 'hosted',
      name: p.model,
      provider: p.provider,
      detail: `${int(billed)} billed tokens (${r.tokenizer}) × $${p.perMillionTokens}/1M${p.note ? ` — ${p.note}` : ''}`,
      costUsd: round((billed * p.perMillionTokens) / 1e6),
      source: p.overridden ? 'llmops.yaml prices' : `${p.source} (${p.date})`,
      current: r.trainingCostSource === 'hosted' && catalog.training(r.model)?.model === p.model,
    });
  }
  if (r.gpu) {
    const g0 = r.gpu;
    for (const g of catalog.gpus()) {
      const est = gpuTraining({ params: g0.params, tokensPerEpoch: perEpoch, epochs: r.epochs, method: g0.method, gpu: g, mfu: g0.mfu });
      const mem = trainingMemory({ arch: g0.arch, method: g0.method, seqLen: Math.min(r.limit?.tokens ?? 2048, 4096), batch: 1, gpu: g, gradientCheckpointing: true });
      rows.push({
        kind: 'gpu',
        name: g.name,
        provider: `${g.memoryGb} GB, ${g.peakBf16Tflops} TFLOP/s`,
        detail: `${hours(est.hours)} × $${g.hourlyUsd}/h, ≈${mem.totalGb.toFixed(1)} GB needed`,
        costUsd: round(est.costUsd),
        hours: est.hours,
        fits: mem.fits,
        source: g.overridden ? 'llmops.yaml prices' : `${g.source} (${g.date})`,
        current: g.name === g0.name,
      });
    }
  }
  return rows.sort((a, b) => (a.kind === b.kind ? (a.costUsd ?? Infinity) - (b.costUsd ?? Infinity) : a.kind === 'hosted' ? -1 : 1));
}


/** The one-line summary of the CodeLens: `N records · T tokens · ≈ $X to fine-tune M (E epochs) · ≈ H h on GPU`. */
export function costLensTitle(r: CostReport): string {
  const approx = r.exact ? '' : '≈';
  const parts = [`${int(r.records)} records`, `${approx}${int(r.tokens)} tokens`];
  if (r.trainingCostUsd !== null) parts.push(`≈ ${usd(r.trainingCostUsd)} to fine-tune ${r.model} (${r.epochs} epoch${r.epochs === 1 ? '' : 's'})`);
  if (r.gpu) parts.push(`≈ ${hours(r.gpu.hours)} on ${r.gpu.name}`);
  return parts.join(' · ');
}

/** Human-readable report for the CLI and the breakdown view. */
export function formatCostText(r: CostReport): string {
  const approx = r.exact ? '' : '≈';
  const out: string[] = [];
  out.push(`${r.file ?? 'dataset'} — ${r.model}`);
  out.push(`  records            ${int(r.records)}`);
  out.push(`  tokens             ${approx}${int(r.tokens)}  (${r.tokenizer}${r.exact ? '' : ', estimate'})`);
  if (r.limit) out.push(`  per-example limit  ${int(r.limit.tokens)}  (${r.limit.source})`);
  out.push(`  epochs             ${r.epochs}${r.epochsDefaulted ? '  (OpenAI default for this many records)' : ''}`);
  out.push(`  billed tokens      ${approx}${int(r.billedTokens)}`);
  if (r.trainingPrice) out.push(`  training price     $${r.trainingPrice.perMillionTokens} / 1M tokens  (${r.trainingPrice.overridden ? 'llmops.yaml prices' : `${r.trainingPrice.source}, ${r.trainingPrice.date}`})`);
  if (r.trainingCostUsd !== null) out.push(`  training cost      ≈ ${usd(r.trainingCostUsd)}${r.trainingCostSource === 'gpu' ? '  (GPU time below)' : ''}`);
  if (r.gpu) {
    const g = r.gpu;
    out.push(`  GPU                ${g.name} (${g.chosen}), ${g.method}, ${(g.params / 1e6).toFixed(0)}M params (${g.paramsSource})`);
    out.push(`                     ${g.flops.toExponential(2)} FLOPs at ${Math.round(g.mfu * 100)}% MFU → ${hours(g.hours)} × $${g.hourlyUsd}/h = ${usd(g.costUsd)}`);
    const m = g.memory;
    out.push(`                     memory ≈ ${m.totalGb.toFixed(1)} GB of ${m.gpuGb} GB (weights ${m.weightsGb.toFixed(1)}, adapter ${m.adapterGb.toFixed(2)}, gradients ${m.gradientsGb.toFixed(2)}, optimizer ${m.optimizerGb.toFixed(2)}, activations ${m.activationsGb.toFixed(1)}, overhead ${m.overheadGb.toFixed(1)}) — ${g.fits ? 'fits' : 'does not fit'}`);
  }
  const inf = r.inference;
  out.push(`  inference          ${int(inf.promptTokens)} prompt + ${int(inf.outputTokens)} output tokens per request (${inf.tokensSource})${inf.monthlyRequests !== null ? `, ${int(inf.monthlyRequests)} requests/month` : ''}`);
  if (inf.hosted) out.push(`    hosted ${inf.hosted.model}: ${usd(inf.hosted.perRequestUsd)} per request${inf.hosted.perMonthUsd !== null ? `, ${usd(inf.hosted.perMonthUsd)} per month` : ''}`);
  if (inf.selfHosted) out.push(`    self-hosted on ${inf.selfHosted.gpu}: ${usd(inf.selfHosted.perMonthUsd)} per month (${int(inf.selfHosted.gpuHoursPerMonth)} GPU hours), ${usd(inf.selfHosted.perRequestUsd)} per request`);
  if (r.roi) {
    const x = r.roi;
    out.push(`  ROI                vs ${x.apiModel} at ${usd(x.apiMonthlyUsd)}/month: ${x.custom} at ${usd(x.customMonthlyUsd)}/month saves ${usd(x.monthlySavingsUsd)}/month`);
    out.push(`                     upfront ${x.setupHours} h × $${x.hourlyRateUsd}/h + training ${usd(x.trainingCostUsd)} = ${usd(x.upfrontUsd)} → ${x.breakEvenMonths === null ? 'never breaks even' : `break-even after ${x.breakEvenMonths} months`}`);
  }
  for (const n of r.notes) out.push(`  note: ${n}`);
  out.push(`  prices: ${r.catalog.source}, snapshot ${r.catalog.date}; override in llmops.yaml prices:`);
  return out.join('\n');
}
