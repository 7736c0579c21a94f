/**
 * The decision as a Markdown report (docs/decision.md) for people who will not open the editor: the
 * question, the answers, the ranked recommendation with its reasons, the matrix, the ROI, the risks,
 * what would change the answer and the next steps.
 */
import { compact, matrixCellLabels, VOLUME_HIGH } from './engine';
import { inputSpecs } from './inputs';
import type { DecisionResult, InputId, MatrixCell } from './types';

export interface ReportOptions {
  projectName?: string;
  useCase?: string;
  /** The saved decision's date and revision; absent when the answers are not saved yet. */
  saved?: { date: string; revision: number } | null;
  /** YYYY-MM-DD the report was generated; defaults to today (UTC). */
  today?: string;
  /** Inputs the user answered (the rest are defaults or project values). */
  answered?: InputId[];
  /** Where project values came from, e.g. "data/train.jsonl (1,204 records, linted clean)". */
  sources?: Partial<Record<InputId, string>>;
}

const cell = (s: string): string => s.replace(/\|/g, '\\|').replace(/\r?\n/g, ' ');
const usd = (x: number): string => (x >= 100 ? `$${Math.round(x).toLocaleString('en-US')}` : x >= 1 ? `$${x.toFixed(2).replace(/\.00$/, '')}` : x > 0 ? `$${x.toPrecision(2).replace(/0+$/, '')}` : '$0');
const num = (x: number): string => x.toLocaleString('en-US', { maximumFractionDigits: 4 });

/** An input's value as a person reads it: option labels, units, "counted from the datasets". */
export function formatInputValue(id: InputId, value: unknown): string {
  const spec = inputSpecs.find((s) => s.id === id);
  if (value === null || value === undefined) return 'not counted';
  if (!spec) return String(value);
  if (spec.kind === 'boolean') return value ? 'Yes' : 'No';
  if (spec.kind === 'level' || spec.kind === 'choice') return spec.options.find((o) => o.value === value)?.label ?? String(value);
  if (typeof value !== 'number') return String(value);
  if (spec.unit === 'USD') return usd(value);
  if (spec.unit.startsWith('USD/')) return `${usd(value)}/${spec.unit.slice(4)}`;
  return `${num(value)} ${spec.unit}`;
}

export function decisionReport(result: DecisionResult, opts: ReportOptions = {}): string {
  const today = opts.today ?? new Date().toISOString().slice(0, 10);
  const top = result.recommendation[0];
  const i = result.inputs;
  const answered = new Set(opts.answered ?? []);
  const fromProject = new Set(result.fromProject);
  const out: string[] = [];
  const name = opts.projectName ? ` for ${opts.projectName}` : '';
  out.push(`# Decision: how to customise the model${name}`, '');
  out.push(opts.saved ? `Revision ${opts.saved.revision}, decided ${opts.saved.date}. Report generated ${today}.` : `Not saved in llmops.yaml yet. Report generated ${today}.`, '');
  out.push('## The question', '');
  if (opts.useCase) out.push(`Use case: ${opts.useCase}`, '');
  out.push('Should this use case rely on prompt engineering, retrieval (RAG), supervised fine-tuning, persona tuning, tool-calling fine-tuning, preference alignment (DPO) or continued pretraining — or a combination? The answer weighs traffic and cost, how specialised the domain is, the behaviour needed, constraints, data and team.', '');

  out.push('## Recommendation', '');
  out.push(`**${top.title}** — score ${top.score}/100.`, '');
  const pro = top.reasons.filter((r) => r.effect === 'for');
  const con = top.reasons.filter((r) => r.effect === 'against');
  if (pro.length) out.push('Why:', '', ...pro.map((r) => `- ${r.text}`), '');
  if (con.length) out.push('Against:', '', ...con.map((r) => `- ${r.text}`), '');
  out.push('### All options, ranked', '', '| # | Approach | Score | Main reason |', '|---:|---|---:|---|');
  result.recommendation.forEach((r, n) => {
    const main = r.reasons.find((x) => x.effect === 'for') ?? r.reasons[0];
    out.push(`| ${n + 1} | ${cell(r.title)} | ${r.score} | ${cell(main ? (main.effect === 'against' ? `Against: ${main.text}` : main.text) : '')} |`);
  });
  out.push('');

  out.push('## Position in the decision matrix', '');
  const mark = (c: MatrixCell): string => (result.matrix.cell === c ? `**${matrixCellLabels[c]}** ◀ this project` : matrixCellLabels[c]);
  out.push('| Volume \\ Domain specificity | Low | High |', '|---|---|---|');
  out.push(`| **High** | ${mark('rag-might-suffice')} | ${mark('strong-case-for-fine-tuning')} |`);
  out.push(`| **Low** | ${mark('foundation-model-is-fine')} | ${mark('evaluate-case-by-case')} |`, '');
  out.push(`Volume ${compact(i.monthlyRequests)} requests/month (high from ${compact(VOLUME_HIGH)}); domain specificity ${i.domainSpecificity}${i.domainSpecificity === 'medium' ? ' (counted as low: it takes a clearly specialised domain to make the case for training)' : ''}.`, '');

  out.push('## Return on investment', '');
  const roi = result.roi;
  out.push('| | Cost |', '|---|---:|');
  out.push(`| API: ${num(i.monthlyRequests)} requests × ${usd(i.apiCostPerQuery)} | ${usd(roi.apiMonthlyUsd)}/month |`);
  out.push(`| Custom model (serving) | ${usd(roi.customMonthlyUsd)}/month |`);
  out.push(`| Monthly savings | ${usd(roi.monthlySavingsUsd)}/month |`);
  out.push(`| Upfront: ${num(i.setupHours)} h × ${usd(i.hourlyRateUsd)} + ${usd(i.trainingCostUsd)} training | ${usd(roi.upfrontUsd)} |`);
  out.push(`| **Break-even** | **${result.breakEvenMonths === null ? 'never (the custom model saves nothing per month)' : `${result.breakEvenMonths.toFixed(1)} months`}** |`, '');
  out.push('Cumulative cost:', '', '| Month | API | Custom model |', '|---:|---:|---:|');
  for (const c of roi.cumulative) out.push(`| ${c.month} | ${usd(c.api)} | ${usd(c.custom)} |`);
  out.push('');

  out.push('## Inputs', '', '| Question | Answer | Source |', '|---|---|---|');
  for (const spec of inputSpecs) {
    const src = answered.has(spec.id) ? 'answered' : fromProject.has(spec.id) ? `project${opts.sources?.[spec.id] ? `: ${opts.sources[spec.id]}` : ''}` : 'default';
    out.push(`| ${cell(spec.label)} | ${cell(formatInputValue(spec.id, i[spec.id]))} | ${cell(src)} |`);
  }
  out.push('');

  out.push('## Risks', '', ...top.risks.map((r) => `- ${r}`), '');
  out.push('## What would change the answer', '');
  out.push(...(top.whatWouldChange.length ? top.whatWouldChange.map((w) => `- ${w}`) : ['- No single change to one answer changes the recommendation.']), '');
  out.push('## Next steps', '', ...top.nextSteps.map((s, n) => `${n + 1}. ${s.text}`), '');
  out.push('---', '', `Generated by LLMOps Workbench from llmops.yaml${opts.saved ? ` (decision revision ${opts.saved.revision}, ${opts.saved.date})` : ''} on ${today}.`, '');
  return out.join('\n');
}
