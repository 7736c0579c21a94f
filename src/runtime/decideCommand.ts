/**
 * `llmops decide [llmops.yaml] [--format text|json]`: the decision framework's recommendation for a
 * project, from the `decision:` inputs and `volume:` of its manifest and the project's datasets (the
 * same values the Decision view shows), so CI can print or check it.
 */
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { compact, decide, matrixCellLabels, VOLUME_HIGH } from '../core/decision/engine';
import { answeredInputs } from '../core/decision/manifestEdit';
import { defaultRuntimeSettings } from '../protocol/runtime';
import type { DecisionResult, InputId } from '../core/decision/types';
import { formatInputValue } from '../core/decision/report';
import { inputSpecs } from '../core/decision/inputs';
import { findDatasets, lintDatasetFile } from './datasetFiles';
import { decisionState, manifestFacts, readTextFile } from './decision';
import { findManifest, loadProject, MANIFEST, ruleSetForFile } from './project';

export interface DecideIo {
  out: (s: string) => void;
  err: (s: string) => void;
  cwd: string;
  color?: boolean;
}

export const decideUsage = `Usage: llmops decide [llmops.yaml] [--format text|json]

Should this use case prompt, retrieve, fine-tune, align or pretrain? Ranks prompt-engineering, rag,
sft, persona-tuning, tool-calling-sft, dpo, continued-pretraining and their combinations from the
answers in the manifest's decision: section, its volume: and the project's datasets (clean labelled
examples, preference pairs), with reasons, the ROI and break-even, risks and what would change the
answer.

Arguments:
  llmops.yaml       The project manifest, or its folder (default: the nearest llmops.yaml above
                    the current folder)
Options:
  --format FORMAT   text (default) or json

Exit status: 0 done, 2 usage error, missing or unreadable manifest, or a decision: section that
does not validate.
`;

class DecideUsageError extends Error {}

function parseArgs(args: string[]): { manifest?: string; format: 'text' | 'json' } {
  let manifest: string | undefined;
  let format: 'text' | 'json' = 'text';
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    if (a === '--format' || a.startsWith('--format=')) {
      const v = a.includes('=') ? a.slice(a.indexOf('=') + 1) : args[++i];
      if (v !== 'text' && v !== 'json') throw new DecideUsageError(`--format must be text or json, got ${v ?? 'nothing'}`);
      format = v;
    } else if (a === '--help' || a === '-h') throw new DecideUsageError('');
    else if (a.startsWith('-')) throw new DecideUsageError(`unknown option ${a}`);
    else if (manifest !== undefined) throw new DecideUsageError(`decide takes one manifest, got ${manifest} and ${a}`);
    else manifest = a;
  }
  return { manifest, format };
}

export async function runDecide(args: string[], io: DecideIo): Promise<number> {
  let opts: ReturnType<typeof parseArgs>;
  try {
    opts = parseArgs(args);
  } catch (e) {
    const msg = (e as Error).message;
    if (msg) io.err(`llmops decide: ${msg}\n\n`);
    (msg ? io.err : io.out)(decideUsage);
    return msg ? 2 : 0;
  }

  let manifestPath: string | null;
  if (opts.manifest !== undefined) {
    manifestPath = path.resolve(io.cwd, opts.manifest);
    const st = await fs.stat(manifestPath).catch(() => null);
    if (st?.isDirectory()) manifestPath = path.join(manifestPath, MANIFEST);
    else if (!st) {
      io.err(`llmops decide: ${opts.manifest}: no such file\n`);
      return 2;
    }
  } else manifestPath = await findManifest(io.cwd);
  if (!manifestPath) {
    io.err(`llmops decide: no ${MANIFEST} in ${io.cwd} or above; pass its path (llmops decide path/to/${MANIFEST})\n`);
    return 2;
  }
  const text = await readTextFile(manifestPath);
  const shown = path.relative(io.cwd, manifestPath).split(path.sep).join('/') || MANIFEST;
  if (text === null) {
    io.err(`llmops decide: cannot read ${shown}\n`);
    return 2;
  }

  const root = path.dirname(manifestPath);
  const project = await loadProject(manifestPath, root);
  const state = await decisionState(root, manifestPath, {
    readText: async (f) => (f === manifestPath ? text : readTextFile(f)),
    datasets: async () => (await findDatasets(root, { exclude: defaultRuntimeSettings.exclude, limit: 5000 })).files,
    lint: async (file) => {
      const r = await lintDatasetFile(file, await ruleSetForFile(project, file));
      return { records: r.records, format: r.format, findings: r.findings };
    },
  });
  if (state.problem) {
    io.err(`${shown}${state.problem.line ? `:${state.problem.line}` : ''}: error ${state.problem.message}\n`);
    io.err(`llmops decide: fix ${shown} first; nothing was decided\n`);
    return 2;
  }

  const inputs = state.saved?.inputs ?? {};
  const result = decide(inputs, state.fromProject);
  const answered = Object.keys(answeredInputs(inputs)) as InputId[];
  if (opts.format === 'json') {
    io.out(JSON.stringify(toJson(result, answered, state.sources, state.saved), null, 2) + '\n');
    return 0;
  }
  io.out(formatDecisionText(result, { manifest: shown, projectName: manifestFacts(text).name, answered, sources: state.sources, saved: state.saved, color: io.color === true }));
  return 0;
}

/** The JSON shape of `llmops decide --format json` (documented in the README). */
export function toJson(
  result: DecisionResult,
  answered: InputId[],
  sources: Partial<Record<InputId, string>>,
  saved: { date: string; revision: number } | null,
): Record<string, unknown> {
  return {
    recommendation: result.recommendation.map((r) => ({
      approach: r.id,
      approaches: r.approaches,
      title: r.title,
      score: r.score,
      reasons: r.reasons,
      whatWouldChange: r.whatWouldChange,
      risks: r.risks,
      nextSteps: r.nextSteps,
    })),
    breakEvenMonths: result.breakEvenMonths,
    matrix: result.matrix,
    roi: result.roi,
    inputs: result.inputs,
    answered,
    fromProject: result.fromProject,
    sources,
    saved: saved ? { date: saved.date, revision: saved.revision } : null,
  };
}

interface TextOptions {
  manifest: string;
  projectName?: string;
  answered: InputId[];
  sources: Partial<Record<InputId, string>>;
  saved: { date: string; revision: number } | null;
  color: boolean;
}

const usd = (x: number): string => `$${Math.round(x).toLocaleString('en-US')}`;

export function formatDecisionText(result: DecisionResult, o: TextOptions): string {
  const bold = (s: string): string => (o.color ? `\x1b[1m${s}\x1b[22m` : s);
  const dim = (s: string): string => (o.color ? `\x1b[2m${s}\x1b[22m` : s);
  const i = result.inputs;
  const lines: string[] = [];
  const saved = o.saved && o.saved.revision > 0 ? `decision revision ${o.saved.revision}, ${o.saved.date}` : o.saved ? 'decision written by hand' : 'no decision: section yet, defaults';
  lines.push(bold(`Decision${o.projectName ? ` for ${o.projectName}` : ''}`) + dim(` (${o.manifest}, ${saved})`), '');
  const m = result.matrix;
  lines.push(`Matrix: ${m.volume} volume (${compact(i.monthlyRequests)} requests/month; high from ${compact(VOLUME_HIGH)}) × ${m.specificity} domain specificity → ${bold(matrixCellLabels[m.cell])}`, '');

  lines.push(bold('Recommendation'));
  result.recommendation.slice(0, 5).forEach((r, n) => {
    lines.push(`  ${n + 1}. ${r.title.padEnd(44)} ${String(r.score).padStart(3)}/100  ${dim(r.id)}`);
    const reasons = n === 0 ? r.reasons : r.reasons.filter((x) => x.effect === 'for').slice(0, 1);
    for (const x of reasons) lines.push(`     ${x.effect === 'for' ? '+' : '-'} ${x.text}`);
  });
  if (result.recommendation.length > 5) lines.push(dim(`  … ${result.recommendation.length - 5} more (--format json lists all)`));
  lines.push('');

  const roi = result.roi;
  lines.push(bold('Return on investment'));
  lines.push(`  API ${usd(roi.apiMonthlyUsd)}/month (${i.monthlyRequests.toLocaleString('en-US')} × $${i.apiCostPerQuery}) vs custom model ${usd(roi.customMonthlyUsd)}/month`);
  lines.push(`  Upfront ${usd(roi.upfrontUsd)} (${i.setupHours} h × ${usd(i.hourlyRateUsd)} + ${usd(i.trainingCostUsd)} training)`);
  lines.push(`  Break-even: ${result.breakEvenMonths === null ? 'never (the custom model saves nothing per month)' : `${result.breakEvenMonths.toFixed(1)} months (saves ${usd(roi.monthlySavingsUsd)}/month)`}`, '');

  const top = result.recommendation[0];
  if (top.whatWouldChange.length) lines.push(bold('What would change the answer'), ...top.whatWouldChange.map((w) => `  - ${w}`), '');
  lines.push(bold('Risks'), ...top.risks.map((r) => `  - ${r}`), '');
  lines.push(bold('Next steps'), ...top.nextSteps.map((s) => `  - ${s.text}`), '');

  lines.push(bold('Inputs'));
  const answered = new Set(o.answered);
  const fromProject = new Set(result.fromProject);
  for (const spec of inputSpecs) {
    const src = answered.has(spec.id) ? 'answered' : fromProject.has(spec.id) ? `project: ${o.sources[spec.id] ?? ''}` : 'default';
    lines.push(`  ${spec.label.padEnd(42)} ${formatInputValue(spec.id, i[spec.id]).padEnd(28)} ${dim(src)}`);
  }
  return lines.join('\n') + '\n';
}
