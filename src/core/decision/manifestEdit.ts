/**
 * Reading and writing the `decision:` section of llmops.yaml. Saving replaces that section's text
 * and nothing else (comments, key order and formatting elsewhere stay byte for byte), and refuses a
 * file that does not parse: a malformed manifest is never overwritten.
 */
import { Document, isMap, isScalar, parseDocument, type Node, type Pair } from 'yaml';
import { decisionInputKey, parseManifest, type ManifestDecision } from '../project/manifest';
import { decide, resolveInputs } from './engine';
import { defaultInputs } from './inputs';
import type { ApproachId, DecisionInputs, InputId, Recommendation } from './types';
import type { ManifestProblem, SavedDecision } from '../../protocol/decision';

const INPUT_IDS = Object.keys(defaultInputs) as InputId[];

export type SaveDecisionResult = { ok: true; text: string; saved: SavedDecision } | { ok: false; problem: ManifestProblem };

export interface SaveDecisionOptions {
  /** YYYY-MM-DD; defaults to today (UTC). */
  today?: string;
  /** Values read from the project, so the saved result matches what the sidebar shows. */
  fromProject?: Partial<DecisionInputs>;
  /** `project.name` when a new llmops.yaml is created. */
  projectName?: string;
}

/** The inputs worth writing: the ones the user set, valid, without "count it from the project" nulls. */
export function answeredInputs(inputs: Partial<DecisionInputs>): Partial<DecisionInputs> {
  const { inputs: resolved } = resolveInputs(inputs);
  const out: Partial<Record<InputId, unknown>> = {};
  for (const id of INPUT_IDS) {
    if (inputs[id] === undefined || inputs[id] === null) continue;
    // resolveInputs dropped it when invalid (then it equals the default while the answer does not).
    if (resolved[id] === inputs[id]) out[id] = inputs[id];
  }
  return out as Partial<DecisionInputs>;
}

/**
 * The new llmops.yaml text with the decision for `inputs` saved: the `decision:` section replaced (or
 * appended), its revision incremented and dated today. `text` null creates a minimal manifest.
 */
export function saveDecision(text: string | null, inputs: Partial<DecisionInputs>, opts: SaveDecisionOptions = {}): SaveDecisionResult {
  const today = opts.today ?? new Date().toISOString().slice(0, 10);
  const answered = answeredInputs(inputs);
  const result = decide(answered, opts.fromProject);
  const top = result.recommendation[0];
  let revision = 1;
  const eol = text?.includes('\r\n') ? '\r\n' : '\n';

  let doc: Document.Parsed | null = null;
  if (text !== null) {
    doc = parseDocument(text, { prettyErrors: false });
    if (doc.errors.length) {
      const e = doc.errors[0];
      return { ok: false, problem: { message: `llmops.yaml does not parse (${e.message.split('\n')[0]}); fix it before saving the decision`, line: e.linePos?.[0].line ?? lineOf(text, e.pos[0]) } };
    }
    if (doc.contents !== null && !isMap(doc.contents)) {
      return { ok: false, problem: { message: 'llmops.yaml is not a mapping of keys (version, project, …); fix it before saving the decision', line: lineOf(text, (doc.contents as Node).range?.[0] ?? 0) } };
    }
    const prev = isMap(doc.contents) ? doc.contents.get('decision') : undefined;
    const prevRevision = isMap(prev) ? prev.get('revision') : undefined;
    if (typeof prevRevision === 'number' && Number.isInteger(prevRevision) && prevRevision >= 1) revision = prevRevision + 1;
  }

  const saved: SavedDecision = {
    date: today,
    revision,
    inputs: answered,
    result: { id: top.id, approaches: top.approaches, score: top.score, breakEvenMonths: result.breakEvenMonths === null ? null : round2(result.breakEvenMonths) },
    rationale: rationaleOf(top),
  };
  const section: ManifestDecision = {
    date: saved.date,
    revision: saved.revision,
    ...(Object.keys(answered).length ? { inputs: Object.fromEntries(Object.entries(answered).map(([k, v]) => [decisionInputKey(k as InputId), v])) } : {}),
    result: { id: saved.result.id, approaches: saved.result.approaches, score: saved.result.score, break_even_months: saved.result.breakEvenMonths },
    rationale: saved.rationale,
  };
  const indent = text ? detectIndent(text) : 2;
  const rendered = renderSection(section, indent).replace(/\n/g, eol);

  if (text === null || doc === null) {
    const name = opts.projectName?.trim() || 'my-project';
    const header = new Document({ version: 1, project: { name } }).toString({ indent });
    return { ok: true, text: `# LLMOps Workbench project manifest${eol}${header.replace(/\n/g, eol)}${rendered}`, saved };
  }
  if (doc.contents === null) {
    // Empty or only comments: keep them and add the two required keys.
    const header = new Document({ version: 1, project: { name: opts.projectName?.trim() || 'my-project' } }).toString({ indent }).replace(/\n/g, eol);
    return { ok: true, text: `${withEol(text, eol)}${header}${rendered}`, saved };
  }
  const root = doc.contents;
  if (isMap(root) && root.flow) {
    // `{version: 1, …}` on one line: no block to splice into; let the library rewrite the document.
    (doc as Document).set('decision', section);
    return { ok: true, text: doc.toString({ indent, lineWidth: 0 }), saved };
  }
  const pair = isMap(root) ? (root.items as Pair<Node, Node | null>[]).find((p) => isScalar(p.key) && p.key.value === 'decision') : undefined;
  if (!pair || !pair.key?.range) return { ok: true, text: `${withEol(text, eol)}${rendered}`, saved };
  const start = pair.key.range[0];
  let end = Math.max(pair.key.range[2], pair.value?.range?.[2] ?? 0);
  // The rest of the section's last line (a trailing comment, the line break) goes with it.
  if (end > 0 && text[end - 1] !== '\n') {
    const nl = text.indexOf('\n', end);
    end = nl < 0 ? text.length : nl + 1;
  }
  return { ok: true, text: text.slice(0, start) + rendered + text.slice(end), saved };
}

function renderSection(section: ManifestDecision, indent: number): string {
  const d = new Document({ decision: section });
  const map = d.get('decision', true);
  if (isMap(map)) map.commentBefore = ' Saved by the LLMOps Decision view; edit by hand or save again from the view.';
  return d.toString({ indent, lineWidth: 0 });
}

function withEol(text: string, eol: string): string {
  return text === '' || text.endsWith('\n') ? text : text + eol;
}

/** Indent width of the first indented key, so the new section matches the file (2 when unsure). */
function detectIndent(text: string): number {
  const m = /^( +)[^\s#-]/m.exec(text);
  const n = m ? m[1].length : 2;
  return n >= 2 && n <= 8 ? n : 2;
}

function lineOf(text: string, offset: number): number {
  let line = 1;
  for (let i = 0; i < offset && i < text.length; i++) if (text.charCodeAt(i) === 10) line++;
  return line;
}

const round2 = (x: number): number => Math.round(x * 100) / 100;

/** The reasons for, then the ones against (marked), one line each. */
function rationaleOf(top: Recommendation): string[] {
  return [...top.reasons.filter((r) => r.effect === 'for').map((r) => r.text), ...top.reasons.filter((r) => r.effect === 'against').map((r) => `Against: ${r.text}`)];
}

export interface ReadDecision {
  saved: SavedDecision | null;
  /** The file does not parse, or its `decision:` section is invalid (1-based line). */
  problem: ManifestProblem | null;
  /** The `volume.monthly_requests` of the manifest, when set. */
  monthlyRequests?: number;
}

/**
 * The saved decision of an llmops.yaml text. A section without a result (inputs written by hand)
 * gets the engine's result for those inputs; problems in other sections do not hide the decision.
 */
export function readDecision(text: string, fromProject?: Partial<DecisionInputs>): ReadDecision {
  const parsed = parseManifest(text);
  const syntax = parsed.problems.find((p) => p.severity === 'error' && !p.path);
  if (syntax) return { saved: null, problem: { message: `llmops.yaml does not parse: ${syntax.message.split('\n')[0]}`, line: syntax.line + 1 } };
  const bad = parsed.problems.filter((p) => p.severity === 'error' && p.path?.[0] === 'decision');
  if (bad.length) {
    const p = bad[0];
    const where = p.path && p.path.length > 1 ? `decision.${p.path.slice(1).join('.')}` : 'decision';
    return { saved: null, problem: { message: `${where}: ${p.message}${bad.length > 1 ? ` (and ${bad.length - 1} more problem${bad.length > 2 ? 's' : ''} in decision:)` : ''}`, line: p.line + 1 } };
  }
  let raw: unknown;
  let volume: unknown;
  try {
    const js = parseDocument(text).toJS() as Record<string, unknown> | null;
    raw = js?.decision;
    volume = (js?.volume as Record<string, unknown> | undefined)?.monthly_requests;
  } catch {
    raw = undefined;
  }
  const monthlyRequests = typeof volume === 'number' && Number.isInteger(volume) && volume >= 0 ? volume : undefined;
  if (raw === undefined || raw === null || typeof raw !== 'object') return { saved: null, problem: null, ...(monthlyRequests !== undefined ? { monthlyRequests } : {}) };
  const d = raw as ManifestDecision;
  const inputs: Partial<Record<InputId, unknown>> = {};
  for (const id of INPUT_IDS) {
    const v = (d.inputs as Record<string, unknown> | undefined)?.[decisionInputKey(id)];
    if (v !== undefined) inputs[id] = v;
  }
  const typed = inputs as Partial<DecisionInputs>;
  let result: SavedDecision['result'];
  let rationale = d.rationale ?? [];
  if (d.result) {
    result = { id: d.result.id, approaches: d.result.approaches as ApproachId[], score: d.result.score, breakEvenMonths: d.result.break_even_months ?? null };
  } else {
    const r = decide(typed, { ...fromProject, ...(monthlyRequests !== undefined ? { monthlyRequests } : {}) });
    const top = r.recommendation[0];
    result = { id: top.id, approaches: top.approaches, score: top.score, breakEvenMonths: r.breakEvenMonths === null ? null : round2(r.breakEvenMonths) };
    if (!d.rationale) rationale = rationaleOf(top);
  }
  return {
    saved: { date: d.date ?? '', revision: d.revision ?? 0, inputs: typed, result, rationale },
    problem: null,
    ...(monthlyRequests !== undefined ? { monthlyRequests } : {}),
  };
}
