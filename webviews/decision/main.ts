/**
 * The Decision sidebar: walks the questions in groups, recomputes the recommendation on every answer
 * with the bundled engine (no round trip to the runtime), and shows the volume × specificity matrix,
 * the ROI chart and the project's lifecycle. The extension host supplies what only the runtime knows
 * (project values, the saved decision, lifecycle) and saves the answers into llmops.yaml.
 *
 * The questions are built once and kept (focus, caret and scroll survive every answer); only the
 * results are rebuilt per answer, which keeps an update well under a frame.
 */
import '@vscode-elements/elements/dist/vscode-button/index.js';
import '@vscode-elements/elements/dist/vscode-badge/index.js';
import '@vscode-elements/elements/dist/vscode-collapsible/index.js';
import '@vscode-elements/elements/dist/vscode-radio-group/index.js';
import '@vscode-elements/elements/dist/vscode-radio/index.js';
import '@vscode-elements/elements/dist/vscode-textfield/index.js';
import { decide, matrixCellLabels } from '../../src/core/decision/engine';
import { defaultInputs, inputSpecs, type InputSpec } from '../../src/core/decision/inputs';
import { approachIds, type ApproachId, type DecisionInputs, type DecisionResult, type InputId, type MatrixCell, type Recommendation } from '../../src/core/decision/types';
import type { ManifestProblem, StageStatus } from '../../src/protocol/decision';
import {
  isDecisionSavedMessage,
  isDecisionSaveFailedMessage,
  isDecisionStateMessage,
  isDecisionViewCommand,
  type DecisionViewState,
  type DecisionWebviewToExtension,
} from '../../src/protocol/decisionWebview';
import { cleanAnswers, controlValue, formatMonths, formatNumber, formatValue, groupProgress, parseNumberAnswer, radioAnswer, sameAnswers, summarize, type Answers } from './model';
import { roiChartGeometry } from './roiChart';

interface VsCodeApi {
  postMessage(m: DecisionWebviewToExtension): void;
  getState(): unknown;
  setState(s: unknown): void;
}
declare function acquireVsCodeApi(): VsCodeApi;
declare const __decisionScriptStart: number | undefined;
const mainStart = performance.now();

const vscode = acquireVsCodeApi();
const app = document.getElementById('app')!;

/** What survives hiding the view and reloading the window (webview state), besides llmops.yaml. */
interface Persisted {
  v: 1;
  /** The user's answers (unset: default or project value). */
  answers: Answers;
  /** The saved decision's inputs these answers started from; null: not known yet. */
  baseline: Answers | null;
  /** Question groups the user has open. */
  open: string[] | null;
}

function loadPersisted(): Persisted {
  const s = vscode.getState() as Partial<Persisted> | undefined;
  if (s && s.v === 1 && typeof s.answers === 'object' && s.answers) {
    return { v: 1, answers: sanitize(s.answers), baseline: s.baseline ? sanitize(s.baseline) : null, open: Array.isArray(s.open) ? s.open.filter((g) => typeof g === 'string') : null };
  }
  return { v: 1, answers: {}, baseline: null, open: null };
}

/** Keeps only known inputs with values of the right kind (webview state is ours, but old versions may differ). */
function sanitize(a: Answers): Answers {
  const out: Record<string, unknown> = {};
  for (const spec of inputSpecs) {
    const v = (a as Record<string, unknown>)[spec.id];
    if (v === undefined) continue;
    if (spec.kind === 'number' ? (typeof v === 'number' && Number.isFinite(v)) || (v === null && spec.nullable) : spec.kind === 'boolean' ? typeof v === 'boolean' : radioAnswer(spec, String(v)) !== undefined) out[spec.id] = v;
  }
  return out as Answers;
}

const persisted = loadPersisted();
let answers: Answers = persisted.answers;
let baseline: Answers | null = persisted.baseline;
let openGroups: Set<string> | null = persisted.open ? new Set(persisted.open) : null;
let view: DecisionViewState = { runtime: 'starting', folders: 1, project: null, loading: true, saving: false };
let result: DecisionResult;
/** The decision in llmops.yaml changed while the user had unsaved answers. */
let conflict = false;
let saveFailure: ManifestProblem | null = null;
let savedNote = '';
const updateTimes: number[] = [];
let firstPaintMs = NaN;
let paintedAt = NaN;

// ---------------------------------------------------------------------------------------------
// DOM helpers

type Child = Node | string | null | undefined | false;
function h(tag: string, attrs: Record<string, string | undefined> = {}, ...children: Child[]): HTMLElement {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) if (v !== undefined) el.setAttribute(k, v);
  for (const c of children) if (c !== null && c !== undefined && c !== false) el.append(c);
  return el;
}
const icon = (name: string, extra = ''): HTMLElement => h('span', { class: `codicon codicon-${name} ${extra}`.trim(), 'aria-hidden': 'true' });
const SVG = 'http://www.w3.org/2000/svg';
function s(tag: string, attrs: Record<string, string | number>, ...children: (Node | string)[]): SVGElement {
  const el = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, String(v));
  el.append(...children);
  return el;
}
function button(label: string, onClick: () => void, attrs: Record<string, string | undefined> = {}): HTMLElement {
  const b = h('vscode-button', attrs, label);
  b.addEventListener('click', () => {
    if (!b.hasAttribute('disabled')) onClick();
  });
  return b;
}
function link(label: string, onClick: () => void, attrs: Record<string, string | undefined> = {}, ...before: Child[]): HTMLElement {
  const b = h('button', { type: 'button', class: 'link', ...attrs }, ...before, h('span', { class: 'text' }, label));
  b.addEventListener('click', onClick);
  return b;
}
/** Inline styles through CSSOM: the CSP has no 'unsafe-inline', which blocks style attributes. */
function styled(el: HTMLElement, props: Partial<Record<'width' | 'left' | 'top', string>>): HTMLElement {
  Object.assign(el.style, props);
  return el;
}
const post = (m: DecisionWebviewToExtension): void => vscode.postMessage(m);

// ---------------------------------------------------------------------------------------------
// State

const fromProject = (): Answers => (view.project?.fromProject ?? {}) as Answers;
const isDirty = (): boolean => !sameAnswers(answers, baseline ?? {});

function persist(): void {
  const p: Persisted = { v: 1, answers: cleanAnswers(answers), baseline, open: openGroups ? [...openGroups] : null };
  vscode.setState(p);
}

let answersTimer: ReturnType<typeof setTimeout> | undefined;
/** Tells the extension the current answers (for the palette commands), at most every 200 ms. */
function reportAnswers(): void {
  clearTimeout(answersTimer);
  answersTimer = setTimeout(() => {
    const top = result.recommendation[0];
    post({ type: 'answers', inputs: cleanAnswers(answers), top: top ? top.approaches : null, dirty: isDirty() });
  }, 200);
}

function setAnswer(id: InputId, value: DecisionInputs[InputId] | undefined, source: Event | null): void {
  const next = { ...answers } as Record<string, unknown>;
  if (value === undefined) delete next[id];
  else next[id] = value;
  applyAnswers(next as Answers, source);
}

/** Recomputes and re-renders the results for new answers (the measured path: ≤ 16 ms is the target). */
function applyAnswers(next: Answers, source: Event | null): void {
  const t0 = performance.now();
  answers = next;
  recompute();
  updateQuestionMeta();
  renderResults();
  updateTimes.push(performance.now() - t0);
  if (updateTimes.length > 500) updateTimes.shift();
  if (source) requestAnimationFrame(() => recordPerf());
  persist();
  reportAnswers();
}

function recompute(): void {
  result = decide(answers, fromProject());
}

/** The decision in llmops.yaml is `savedInputs` now: adopt it unless the user has unsaved answers. */
function adoptSaved(savedInputs: Answers): void {
  if (baseline !== null && sameAnswers(baseline, savedInputs)) return;
  if (sameAnswers(answers, savedInputs)) conflict = false;
  else if (baseline === null ? Object.keys(cleanAnswers(answers)).length === 0 : !isDirty()) {
    answers = { ...savedInputs };
    syncControls();
  } else conflict = true;
  baseline = { ...savedInputs };
}

// ---------------------------------------------------------------------------------------------
// Questions (built once)

interface QuestionUi {
  spec: InputSpec;
  root: HTMLElement;
  control: HTMLElement;
  source: HTMLElement;
  reset: HTMLElement;
  error: HTMLElement;
  tag: HTMLElement;
}
const questions = new Map<InputId, QuestionUi>();
const groupUi = new Map<string, { el: HTMLElement; badge: HTMLElement }>();
const progressText = h('span', { 'data-testid': 'progress' });
const progressBar = h('div', { class: 'progress', role: 'progressbar', 'aria-label': 'Question groups answered', 'aria-valuemin': '0' }, h('div', { class: 'fill' }));

const defaultText = (spec: InputSpec): string => formatValue(spec, defaultInputs[spec.id]);

function buildQuestion(spec: InputSpec): QuestionUi {
  const id = `q-${spec.id}`;
  const labelId = `${id}-label`;
  const helpId = `${id}-help`;
  let control: HTMLElement;
  if (spec.kind === 'number') {
    control = h('vscode-textfield', {
      id: `${id}-input`,
      'data-testid': `input-${spec.id}`,
      placeholder: spec.nullable ? 'counted from the datasets' : `default ${formatNumber(defaultInputs[spec.id] as number)}`,
    });
    // `label` is a property only: it names the inner input for assistive technology.
    (control as unknown as { label: string }).label = `${spec.label} (${spec.unit})`;
    const unit = h('span', { class: 'unit', 'aria-hidden': 'true' }, spec.unit);
    control.addEventListener('input', (e) => onNumberInput(spec, e));
    control = h('div', { class: 'number-row' }, control, unit);
  } else {
    const options = spec.kind === 'boolean' ? [{ value: 'true', label: 'Yes' }, { value: 'false', label: 'No' }] : spec.options;
    const vertical = options.some((o) => o.label.length > 12);
    const group = h('vscode-radio-group', {
      id: `${id}-group`,
      'data-testid': `input-${spec.id}`,
      variant: vertical ? 'vertical' : 'horizontal',
      'aria-labelledby': labelId,
      'aria-describedby': helpId,
    });
    for (const o of options) {
      group.append(h('vscode-radio', { name: spec.id, value: o.value, label: o.label, 'data-value': o.value }));
    }
    const read = (e: Event): void => {
      const checked = [...group.querySelectorAll('vscode-radio')].find((r) => (r as unknown as { checked: boolean }).checked) as HTMLElement | undefined;
      const value = checked ? radioAnswer(spec, checked.getAttribute('value') ?? '') : undefined;
      if (value !== undefined && value !== (answers as Record<string, unknown>)[spec.id]) setAnswer(spec.id, value, e);
    };
    // Clicking the option already shown (the default) answers the question too, hence click as well as change.
    group.addEventListener('change', read);
    group.addEventListener('click', read);
    // vscode-radio-group moves the checked radio on arrow keys without a change event: read it after.
    group.addEventListener('keydown', (e) => {
      if (['ArrowLeft', 'ArrowRight', 'ArrowUp', 'ArrowDown', ' '].includes(e.key)) read(e);
    });
    control = group;
  }
  const reset = link('Reset', () => {
    setAnswer(spec.id, undefined, null);
    syncControl(questions.get(spec.id)!);
  }, { class: 'link reset', 'data-testid': `reset-${spec.id}`, 'aria-label': `Reset ${spec.label}` });
  const source = h('div', { class: 'source', 'data-testid': `source-${spec.id}` });
  // Unanswered questions show the value the engine uses; the tag says where it comes from.
  const tag = h('span', { class: 'tag', 'data-testid': `tag-${spec.id}` });
  const error = h('div', { class: 'invalid', id: `${id}-error`, role: 'alert' });
  const root = h(
    'div',
    { class: 'question', id, 'data-testid': `question-${spec.id}`, 'data-input': spec.id },
    h('div', { class: 'q-head' }, h('span', { class: 'q-label', id: labelId }, spec.label), tag, reset),
    control,
    error,
    h('div', { class: 'help', id: helpId }, spec.help, ' ', h('span', { class: 'default' }, `Default: ${defaultText(spec)}.`)),
    source,
  );
  return { spec, root, control: spec.kind === 'number' ? (control.firstChild as HTMLElement) : control, source, reset, error, tag };
}

function onNumberInput(spec: InputSpec, e: Event | null): void {
  const q = questions.get(spec.id)!;
  const text = (q.control as HTMLInputElement).value ?? '';
  const parsed = parseNumberAnswer(text, spec);
  if (!parsed.ok) {
    q.error.textContent = parsed.message;
    q.control.setAttribute('invalid', '');
    return;
  }
  q.error.textContent = '';
  q.control.removeAttribute('invalid');
  const current = (answers as Record<string, unknown>)[spec.id];
  if (parsed.value !== current) setAnswer(spec.id, parsed.value as DecisionInputs[InputId] | undefined, e);
}

/** Puts the answer (or nothing: default / project value) into a control without firing its events. */
function syncControl(q: QuestionUi): void {
  const v = (answers as Record<string, unknown>)[q.spec.id];
  if (q.spec.kind === 'number') {
    const field = q.control as HTMLInputElement;
    const want = controlValue(q.spec, v);
    const parsed = parseNumberAnswer(field.value ?? '', q.spec);
    if (!(parsed.ok && parsed.value === (v ?? undefined))) field.value = want;
    q.error.textContent = '';
    q.control.removeAttribute('invalid');
    const proj = (fromProject() as Record<string, unknown>)[q.spec.id];
    field.setAttribute('placeholder', proj !== undefined && proj !== null ? `${formatNumber(Number(proj))} (project)` : q.spec.nullable ? 'counted from the datasets' : `default ${formatNumber(defaultInputs[q.spec.id] as number)}`);
    return;
  }
  // Unanswered radios show the value the engine uses (project value or default) as checked.
  const effective = v ?? (fromProject() as Record<string, unknown>)[q.spec.id] ?? defaultInputs[q.spec.id];
  const want = controlValue(q.spec, effective);
  for (const r of q.control.querySelectorAll('vscode-radio')) {
    const on = r.getAttribute('value') === want;
    (r as unknown as { checked: boolean }).checked = on;
    (r as HTMLElement).tabIndex = on ? 0 : -1;
  }
}

function syncControls(): void {
  for (const q of questions.values()) syncControl(q);
}

/** Per question: answered or not, the project's value and its source; per group: progress. */
function updateQuestionMeta(): void {
  const proj = fromProject() as Record<string, unknown>;
  const sources = view.project?.sources ?? {};
  for (const q of questions.values()) {
    const id = q.spec.id;
    const mine = (answers as Record<string, unknown>)[id];
    const theirs = proj[id];
    const hasProject = theirs !== undefined && theirs !== null;
    q.root.classList.toggle('answered', mine !== undefined || hasProject);
    q.root.classList.toggle('user', mine !== undefined);
    q.reset.hidden = mine === undefined;
    q.tag.textContent = mine !== undefined ? '' : hasProject ? 'project' : 'default';
    q.reset.setAttribute('aria-label', hasProject ? `Use the project's value for ${q.spec.label}` : `Reset ${q.spec.label} to its default`);
    (q.reset.querySelector('.text') as HTMLElement).textContent = hasProject ? 'Use project value' : 'Reset';
    if (hasProject) {
      const src = sources[id];
      q.source.replaceChildren(
        icon('folder-library'),
        ' ',
        mine !== undefined ? `Overrides the project's ${formatValue(q.spec, theirs)}` : `From the project: ${formatValue(q.spec, theirs)}`,
        ...(src ? [h('span', { class: 'muted' }, ` — ${src}`)] : []),
      );
      q.source.hidden = false;
    } else {
      q.source.replaceChildren();
      q.source.hidden = true;
    }
  }
  const groups = groupProgress(inputSpecs, answers, fromProject());
  const done = groups.filter((g) => g.done).length;
  progressText.textContent = `${done} of ${groups.length} groups answered`;
  progressBar.setAttribute('aria-valuemax', String(groups.length));
  progressBar.setAttribute('aria-valuenow', String(done));
  progressBar.setAttribute('aria-valuetext', progressText.textContent);
  (progressBar.firstChild as HTMLElement).style.width = `${(100 * done) / groups.length}%`;
  for (const g of groups) {
    const ui = groupUi.get(g.group);
    if (!ui) continue;
    ui.el.setAttribute('description', `${g.answered} of ${g.total} answered`);
    ui.badge.className = g.done ? 'codicon codicon-pass-filled done' : 'codicon codicon-circle-large-outline';
    ui.badge.setAttribute('title', g.done ? 'All answered' : `${g.total - g.answered} left`);
  }
}

function buildQuestions(): HTMLElement {
  const groups = groupProgress(inputSpecs, answers, fromProject());
  const firstOpen = groups.find((g) => !g.done)?.group ?? groups[0]?.group;
  const section = h('section', { class: 'questions', 'aria-labelledby': 'h-questions' }, h('h2', { id: 'h-questions' }, 'Questions'));
  section.append(h('div', { class: 'progress-row' }, progressText, progressBar));
  for (const g of groups) {
    const open = openGroups ? openGroups.has(g.group) : g.group === firstOpen;
    const badge = h('span', { slot: 'decorations', 'aria-hidden': 'true' });
    const el = h('vscode-collapsible', { heading: g.group, 'data-testid': 'question-group', 'data-group': g.group, ...(open ? { open: '' } : {}) }, badge);
    el.addEventListener('vsc-collapsible-toggle', () => {
      openGroups ??= new Set(groups.filter((x) => groupUi.get(x.group)?.el.hasAttribute('open')).map((x) => x.group));
      if ((el as unknown as { open: boolean }).open) openGroups.add(g.group);
      else openGroups.delete(g.group);
      persist();
    });
    const body = h('div', { class: 'group-body' });
    for (const spec of g.specs) {
      const q = buildQuestion(spec);
      questions.set(spec.id, q);
      body.append(q.root);
    }
    const fill = button('Keep the defaults for the rest', () => {
      const next = { ...answers } as Record<string, unknown>;
      const proj = fromProject() as Record<string, unknown>;
      for (const spec of g.specs) if (next[spec.id] === undefined && (proj[spec.id] ?? null) === null && defaultInputs[spec.id] !== null) next[spec.id] = defaultInputs[spec.id];
      applyAnswers(next as Answers, null);
      syncControls();
    }, { secondary: '', class: 'fill-defaults', 'data-testid': 'keep-defaults' });
    body.append(h('div', { class: 'group-actions' }, fill));
    el.append(body);
    groupUi.set(g.group, { el, badge });
    section.append(el);
  }
  return section;
}

// ---------------------------------------------------------------------------------------------
// Results (rebuilt on every answer)

const bar = h('div', { class: 'bar', 'data-testid': 'bar' });
const notices = h('div', { class: 'notices' });
const recSection = h('section', { class: 'recommendation', 'aria-labelledby': 'h-rec', 'data-testid': 'recommendation' });
const matrixSection = h('section', { class: 'matrix-section', 'aria-labelledby': 'h-matrix' });
const roiSection = h('section', { class: 'roi', 'aria-labelledby': 'h-roi', 'data-testid': 'roi' });
const lifecycleSection = h('section', { class: 'lifecycle', 'aria-labelledby': 'h-lifecycle', 'data-testid': 'lifecycle' });
const perfEl = h('div', { hidden: '', 'data-testid': 'perf' });
const liveRegion = h('div', { class: 'visually-hidden', 'aria-live': 'polite', 'data-testid': 'live' });

const trainable: readonly ApproachId[] = ['sft', 'persona-tuning', 'tool-calling-sft', 'dpo', 'continued-pretraining'];

function saveBlockedReason(): string | null {
  if (view.folders === 0) return 'Open a folder to save the decision.';
  if (view.project?.problem) return 'llmops.yaml has a problem: fix it first (the file is never overwritten while it cannot be read).';
  if (view.saving) return 'Saving…';
  if (view.runtime !== 'ready' || !view.project) return 'Waiting for the LLMOps runtime…';
  return null;
}

function renderBar(): void {
  const top = result.recommendation[0];
  const dirty = isDirty();
  const saved = view.project?.saved;
  const blocked = saveBlockedReason();
  const canSave = !blocked && (dirty || !saved);
  const save = button(view.saving ? 'Saving…' : 'Save', () => save_(), {
    'data-testid': 'save',
    icon: 'save',
    title: blocked ?? (canSave ? `Save the answers to ${view.project?.manifestPath ? 'llmops.yaml' : 'a new llmops.yaml'} (decision: section)` : 'Saved: nothing to save'),
    'aria-label': blocked ? `Save (unavailable: ${blocked})` : 'Save the decision to llmops.yaml',
    ...(canSave ? {} : { disabled: '' }),
  });
  const status = dirty
    ? h('span', { class: 'dirty', 'data-testid': 'dirty', title: 'The answers differ from the decision saved in llmops.yaml' }, icon('circle-filled'), ' Unsaved')
    : saved
      ? h('span', { class: 'clean', 'data-testid': 'clean', title: `Saved ${saved.date}, revision ${saved.revision}` }, icon('check'), ` Saved ${saved.date}`)
      : h('span', { class: 'muted', 'data-testid': 'clean' }, 'Not saved yet');
  bar.replaceChildren(
    h(
      'div',
      { class: 'top', 'data-testid': 'top' },
      h('span', { class: 'muted' }, 'Recommended: '),
      h('strong', { 'data-testid': 'top-title' }, top?.title ?? '—'),
      top ? h('vscode-badge', { variant: 'counter', title: `Score ${top.score} of 100`, 'aria-label': `score ${top.score} of 100` }, String(Math.round(top.score))) : null,
    ),
    h('div', { class: 'save-row' }, status, save),
  );
}

function renderNotices(): void {
  const parts: HTMLElement[] = [];
  if (view.folders === 0) parts.push(h('p', { class: 'notice' }, icon('info'), ' Open a folder to read the project and save the decision. The questions work without one.'));
  if (view.runtime === 'failed' || view.runtime === 'stopped') parts.push(h('p', { class: 'notice' }, icon('warning'), ' The LLMOps runtime is not running: project values and saving are unavailable. ', link('Show logs', () => post({ type: 'runCommand', command: 'llmops.showLogs' }))));
  if (view.error) parts.push(h('p', { class: 'notice error', role: 'alert' }, icon('error'), ` ${view.error}`));
  const problem = view.project?.problem;
  if (problem) {
    const manifest = view.project?.manifestPath;
    parts.push(
      h(
        'div',
        { class: 'notice error', role: 'alert', 'data-testid': 'problem' },
        h('div', {}, icon('error'), ' ', h('strong', {}, 'llmops.yaml cannot be read'), problem.line ? ` (line ${problem.line})` : '', ': ', h('span', { 'data-testid': 'problem-message' }, problem.message)),
        h('div', { class: 'muted' }, 'The file is left as it is: saving is off until it is fixed.'),
        manifest ? h('div', { class: 'actions' }, button(problem.line ? `Open llmops.yaml at line ${problem.line}` : 'Open llmops.yaml', () => post({ type: 'openFile', path: manifest, ...(problem.line ? { line: problem.line } : {}) }), { secondary: '', 'data-testid': 'open-problem' })) : null,
      ),
    );
  }
  if (saveFailure) {
    parts.push(h('div', { class: 'notice error', role: 'alert', 'data-testid': 'save-failed' }, icon('error'), ` Not saved: ${saveFailure.message}${saveFailure.line ? ` (line ${saveFailure.line})` : ''}`));
  }
  if (conflict) {
    parts.push(
      h(
        'div',
        { class: 'notice', role: 'status', 'data-testid': 'conflict' },
        h('div', {}, icon('warning'), ' The decision in llmops.yaml changed while you had unsaved answers.'),
        h(
          'div',
          { class: 'actions' },
          button('Load from llmops.yaml', () => {
            conflict = false;
            applyAnswers({ ...(baseline ?? {}) }, null);
            syncControls();
          }, { secondary: '' }),
          button('Keep mine', () => {
            conflict = false;
            renderResults();
          }, { secondary: '' }),
        ),
      ),
    );
  }
  if (savedNote) parts.push(h('p', { class: 'notice ok', role: 'status', 'data-testid': 'saved-note' }, icon('check'), ` ${savedNote}`));
  notices.replaceChildren(...parts);
}

const effectClass = (e: 'for' | 'against'): string => (e === 'for' ? 'for' : 'against');

function nextSteps(r: Recommendation): HTMLElement {
  const fallback = r.approaches.find((a) => trainable.includes(a));
  return h(
    'ul',
    { class: 'steps', 'data-testid': 'next-steps' },
    ...r.nextSteps.map((step) => {
      const cmd = step.command;
      if (cmd && isDecisionViewCommand(cmd)) {
        const arg = step.args?.[0];
        const approach = arg && (approachIds as readonly string[]).includes(arg) ? (arg as ApproachId) : fallback;
        return h('li', {}, button(step.text, () => post({ type: 'runCommand', command: cmd, ...(cmd === 'llmops.createTrainingConfig' && approach ? { approach } : {}) }), { secondary: '', block: '', class: 'step', 'data-testid': 'next-step', 'data-command': cmd }));
      }
      return h('li', { class: 'step-text' }, step.text);
    }),
  );
}

function recommendationDetail(r: Recommendation, isTop: boolean): HTMLElement {
  const body = h('div', { class: 'rec-body' });
  if (r.reasons.length) {
    body.append(
      h('h4', {}, 'Why'),
      h(
        'ul',
        { class: 'reasons', 'data-testid': 'reasons' },
        ...r.reasons.map((x) =>
          h('li', { class: effectClass(x.effect) }, icon(x.effect === 'for' ? 'arrow-up' : 'arrow-down'), h('span', { class: 'visually-hidden' }, x.effect === 'for' ? 'For: ' : 'Against: '), ' ', x.text),
        ),
      ),
    );
  }
  if (r.whatWouldChange.length) body.append(h('h4', {}, 'What would change the answer'), h('ul', { 'data-testid': 'what-would-change' }, ...r.whatWouldChange.map((t) => h('li', {}, t))));
  if (r.risks.length) body.append(h('h4', {}, 'Risks'), h('ul', { class: 'risks', 'data-testid': 'risks' }, ...r.risks.map((t) => h('li', {}, t))));
  if (r.nextSteps.length && isTop) body.append(h('h4', {}, 'Next steps'), nextSteps(r));
  return body;
}

function renderRecommendation(): void {
  const [top, ...rest] = result.recommendation;
  const parts: Child[] = [h('h2', { id: 'h-rec' }, 'Recommendation')];
  if (top) {
    parts.push(
      h(
        'article',
        { class: 'rec top', 'data-testid': 'rec-top', 'data-id': top.id },
        h('div', { class: 'rec-head' }, h('h3', {}, top.title), h('span', { class: 'score', title: 'Score out of 100' }, `${Math.round(top.score)}`, h('span', { class: 'muted' }, '/100'))),
        h('div', { class: 'meter', 'aria-hidden': 'true' }, styled(h('div', { class: 'fill' }), { width: `${Math.max(0, Math.min(100, top.score))}%` })),
        recommendationDetail(top, true),
      ),
    );
  }
  if (rest.length) {
    const others = h('ol', { class: 'others', 'data-testid': 'rec-others', start: '2' });
    for (const r of rest) {
      const open = openAlternatives.has(r.id);
      const d = h('details', { 'data-id': r.id, ...(open ? { open: '' } : {}) }, h('summary', {}, icon('chevron-right', 'twisty'), h('span', { class: 'title' }, r.title), h('span', { class: 'score', 'aria-label': `score ${Math.round(r.score)}` }, String(Math.round(r.score)))));
      // Built when opened: most alternatives are never read, and every answer rebuilds this list.
      if (open) d.append(recommendationDetail(r, false));
      d.addEventListener('toggle', () => {
        const isOpen = (d as HTMLDetailsElement).open;
        if (isOpen) openAlternatives.add(r.id);
        else openAlternatives.delete(r.id);
        if (isOpen && d.childElementCount === 1) d.append(recommendationDetail(r, false));
      });
      others.append(h('li', {}, d));
    }
    parts.push(h('h4', { class: 'others-head' }, 'Other options, ranked'), others);
  }
  recSection.replaceChildren(...(parts.filter(Boolean) as Node[]));
}

const cellText: Record<MatrixCell, string> = matrixCellLabels;
/** Alternatives the user has expanded (kept open across answers). */
const openAlternatives = new Set<string>();

function renderMatrix(): void {
  const m = result.matrix;
  // As in the source documents: specificity across (low → high), volume up (low at the bottom).
  const cells: { cell: MatrixCell; vol: 'high' | 'low'; spec: 'low' | 'high' }[] = [
    { cell: 'rag-might-suffice', vol: 'high', spec: 'low' },
    { cell: 'strong-case-for-fine-tuning', vol: 'high', spec: 'high' },
    { cell: 'foundation-model-is-fine', vol: 'low', spec: 'low' },
    { cell: 'evaluate-case-by-case', vol: 'low', spec: 'high' },
  ];
  // The engine's x is volume and y specificity; here specificity runs across and volume up.
  const across = Math.max(0.04, Math.min(0.96, m.y));
  const up = Math.max(0.04, Math.min(0.96, m.x));
  const grid = h(
    'div',
    { class: 'grid' },
    ...cells.map((c) => h('div', { class: `cell${c.cell === m.cell ? ' current' : ''}`, 'data-cell': c.cell, ...(c.cell === m.cell ? { 'data-testid': 'matrix-current' } : {}) }, cellText[c.cell])),
    styled(h('div', { class: 'marker', title: 'This project', 'data-testid': 'matrix-marker' }), { left: `${across * 100}%`, top: `${(1 - up) * 100}%` }),
  );
  const vol = formatNumber(result.inputs.monthlyRequests);
  const label = `This project: ${m.volume} volume (${vol} requests/month), ${m.specificity} domain specificity: ${cellText[m.cell].toLowerCase()}.`;
  matrixSection.replaceChildren(
    h('h2', { id: 'h-matrix' }, 'Volume × domain specificity'),
    h(
      'figure',
      { class: 'matrix', 'data-testid': 'matrix' },
      h('div', { class: 'y-axis', 'aria-hidden': 'true' }, h('span', {}, 'High'), h('span', { class: 'name' }, 'Volume'), h('span', {}, 'Low')),
      h('div', { role: 'img', 'aria-label': label, class: 'grid-wrap' }, grid),
      h('div', { class: 'x-axis', 'aria-hidden': 'true' }, h('span', {}, 'Low'), h('span', { class: 'name' }, 'Domain specificity'), h('span', {}, 'High')),
      h('figcaption', { 'data-testid': 'matrix-caption' }, label),
    ),
  );
}

function renderRoi(): void {
  const roi = result.roi;
  const g = roiChartGeometry(roi.cumulative, { width: 300, height: 170 });
  const usd = (x: number): string => `$${formatNumber(Math.round(x))}`;
  const text =
    roi.breakEvenMonths === null
      ? roi.monthlySavingsUsd <= 0
        ? `No break-even: the custom model (${usd(roi.customMonthlyUsd)}/month) costs at least as much as the API (${usd(roi.apiMonthlyUsd)}/month).`
        : `No break-even within the chart's horizon.`
      : `Break-even after ${formatMonths(roi.breakEvenMonths)}: ${usd(roi.upfrontUsd)} up front, then ${usd(roi.customMonthlyUsd)}/month instead of ${usd(roi.apiMonthlyUsd)}/month on the API (saves ${usd(roi.monthlySavingsUsd)}/month).`;
  const svg = s(
    'svg',
    { viewBox: `0 0 ${g.width} ${g.height}`, role: 'img', 'aria-labelledby': 'roi-text', class: 'chart', 'data-testid': 'roi-chart', preserveAspectRatio: 'xMidYMid meet' },
    ...g.yTicks.map((t) => s('g', { class: 'tick' }, s('line', { x1: g.plot.left, x2: g.plot.right, y1: t.y, y2: t.y, class: 'grid-line' }), s('text', { x: g.plot.left - 4, y: t.y + 3, 'text-anchor': 'end' }, t.label))),
    ...g.xTicks.map((t) => s('text', { x: t.x, y: g.plot.bottom + 14, 'text-anchor': 'middle', class: 'tick' }, t.label)),
    s('line', { x1: g.plot.left, x2: g.plot.right, y1: g.plot.bottom, y2: g.plot.bottom, class: 'axis' }),
    s('path', { d: g.apiPath, class: 'line api', 'data-testid': 'roi-api' }),
    s('path', { d: g.customPath, class: 'line custom', 'data-testid': 'roi-custom' }),
    ...(g.crossing
      ? [
          s('line', { x1: g.crossing.x, x2: g.crossing.x, y1: g.plot.top, y2: g.plot.bottom, class: 'break-even-rule' }),
          s('circle', { cx: g.crossing.x, cy: g.crossing.y, r: 4, class: 'break-even', 'data-testid': 'roi-crossing' }),
        ]
      : []),
  );
  roiSection.replaceChildren(
    h('h2', { id: 'h-roi' }, 'Return on investment'),
    h(
      'div',
      { class: 'legend', 'aria-hidden': 'true' },
      h('span', {}, h('span', { class: 'swatch api' }), 'API (cumulative)'),
      h('span', {}, h('span', { class: 'swatch custom' }), 'Custom model'),
      g.crossing ? h('span', {}, h('span', { class: 'swatch dot' }), 'Break-even') : null,
    ),
    svg,
    h('div', { class: 'x-label', 'aria-hidden': 'true' }, 'months'),
    h('p', { id: 'roi-text', 'data-testid': 'roi-text' }, text),
  );
}

const stageNames: Record<StageStatus['stage'], string> = { data: 'Data', training: 'Training', evaluation: 'Evaluation', deployment: 'Deployment', monitoring: 'Monitoring' };
const stageIcon: Record<StageStatus['state'], string> = { none: 'circle-large-outline', partial: 'warning', done: 'pass-filled' };
const stageState: Record<StageStatus['state'], string> = { none: 'not started', partial: 'in progress', done: 'done' };

function renderLifecycle(): void {
  const stages = view.project?.lifecycle ?? [];
  const parts: Child[] = [h('h2', { id: 'h-lifecycle' }, 'Lifecycle')];
  if (!view.project) parts.push(h('p', { class: 'muted' }, view.folders === 0 ? 'Open a folder to see its lifecycle.' : 'Reading the project…'));
  else if (!stages.length) parts.push(h('p', { class: 'muted' }, 'No lifecycle information.'));
  else {
    parts.push(
      h(
        'div',
        { class: 'strip', 'aria-hidden': 'true' },
        ...stages.flatMap((st, i) => [i ? h('span', { class: 'arrow codicon codicon-chevron-right' }) : null, h('span', { class: `chip ${st.state}` }, icon(stageIcon[st.state]), ' ', stageNames[st.stage])].filter(Boolean) as HTMLElement[]),
      ),
    );
    parts.push(
      h(
        'ol',
        { class: 'stages', 'data-testid': 'stages' },
        ...stages.map((st) =>
          h(
            'li',
            { class: `stage ${st.state}`, 'data-stage': st.stage, 'data-state': st.state },
            h('div', { class: 'stage-head' }, icon(stageIcon[st.state]), ' ', h('strong', {}, stageNames[st.stage]), h('span', { class: 'muted' }, ` — ${stageState[st.state]}`)),
            h('div', { class: 'stage-summary' }, st.summary),
            st.files.length
              ? h('ul', { class: 'files' }, ...st.files.slice(0, 8).map((f) => h('li', {}, link(f, () => post({ type: 'openFile', path: f }), { 'data-testid': 'stage-file', title: `Open ${f}` }, icon('go-to-file')))), st.files.length > 8 ? h('li', { class: 'muted' }, `and ${st.files.length - 8} more`) : null)
              : null,
          ),
        ),
      ),
    );
  }
  lifecycleSection.replaceChildren(...(parts.filter(Boolean) as Node[]));
}

let lastTop = '';
function renderResults(): void {
  renderBar();
  renderNotices();
  renderRecommendation();
  renderMatrix();
  renderRoi();
  const top = result.recommendation[0];
  if (top && top.id !== lastTop) {
    if (lastTop) liveRegion.textContent = `Recommendation: ${top.title}, score ${Math.round(top.score)}.`;
    lastTop = top.id;
  }
}

// ---------------------------------------------------------------------------------------------
// Save, perf, messages

let pendingSave: Answers | null = null;
function save_(): void {
  if (saveBlockedReason()) return;
  saveFailure = null;
  savedNote = '';
  pendingSave = cleanAnswers(answers);
  post({ type: 'save', inputs: pendingSave });
}

function recordPerf(): void {
  const u = summarize(updateTimes);
  perfEl.dataset.firstPaintMs = String(Math.round(firstPaintMs * 10) / 10);
  // Where the first paint's time went (ms since the document started loading).
  perfEl.dataset.scriptStartMs = String(Math.round(typeof __decisionScriptStart === 'number' ? __decisionScriptStart : NaN));
  perfEl.dataset.mainStartMs = String(Math.round(mainStart));
  perfEl.dataset.builtMs = String(Math.round(builtAt));
  perfEl.dataset.paintedAt = String(paintedAt);
  // View opened (extension host) → first frame with content (webview); same machine in tests.
  if (view.openedAt) perfEl.dataset.sinceOpenMs = String(Math.round(paintedAt - view.openedAt));
  perfEl.dataset.updates = String(u.n);
  perfEl.dataset.updateMedianMs = String(Math.round(u.median * 100) / 100);
  perfEl.dataset.updateMaxMs = String(Math.round(u.max * 100) / 100);
  perfEl.textContent = JSON.stringify({ firstPaintMs, paintedAt, updateMs: updateTimes.slice(-100) });
  perfTimer ??= setTimeout(() => {
    perfTimer = undefined;
    post({ type: 'perf', firstPaintMs, paintedAt, updateMs: updateTimes.slice(-200).map((x) => Math.round(x * 1000) / 1000) });
  }, 1000);
}
let perfTimer: ReturnType<typeof setTimeout> | undefined;

function onState(next: DecisionViewState): void {
  const hadProject = JSON.stringify(view.project?.fromProject ?? {});
  view = next;
  const p = next.project;
  if (p && !p.problem) adoptSaved((p.saved?.inputs ?? {}) as Answers);
  if (JSON.stringify(p?.fromProject ?? {}) !== hadProject) syncControls();
  recompute();
  updateQuestionMeta();
  renderResults();
  renderLifecycle();
  app.setAttribute('aria-busy', String(next.loading));
  if (!Number.isNaN(paintedAt)) recordPerf();
  persist();
  reportAnswers();
}

window.addEventListener('message', (e: MessageEvent) => {
  const m: unknown = e.data;
  if (isDecisionStateMessage(m)) onState(m.state);
  else if (isDecisionSavedMessage(m)) {
    const savedInputs = sanitize(m.saved.inputs as Answers);
    if (sameAnswers(answers, m.inputs as Answers)) {
      answers = { ...savedInputs };
      syncControls();
    }
    baseline = { ...savedInputs };
    conflict = false;
    saveFailure = null;
    pendingSave = null;
    savedNote = `Saved to ${m.path} (revision ${m.saved.revision}).`;
    if (view.project) view = { ...view, project: { ...view.project, saved: m.saved } };
    recompute();
    updateQuestionMeta();
    renderResults();
    persist();
    reportAnswers();
  } else if (isDecisionSaveFailedMessage(m)) {
    pendingSave = null;
    saveFailure = { message: m.message, ...(m.line ? { line: m.line } : {}) };
    renderResults();
  }
});

// ---------------------------------------------------------------------------------------------
// First paint: from the engine alone (defaults + remembered answers); the project's data follows.

recompute();
const questionsSection = buildQuestions();
app.replaceChildren(h('div', { class: 'sticky' }, bar), notices, questionsSection, recSection, matrixSection, roiSection, lifecycleSection, liveRegion, perfEl);
syncControls();
updateQuestionMeta();
renderResults();
renderLifecycle();
const builtAt = performance.now();
// vscode-radio renders a checkbox input: tell assistive technology it is a radio button (its checked
// state maps to aria-checked); the group already has role radiogroup.
void customElements.whenDefined('vscode-radio').then(async () => {
  for (const r of document.querySelectorAll('vscode-radio')) {
    await (r as unknown as { updateComplete: Promise<unknown> }).updateComplete;
    r.shadowRoot?.querySelector('input')?.setAttribute('role', 'radio');
  }
});
requestAnimationFrame(() => {
  // After the frame that shows the content (custom elements render in a microtask before it).
  setTimeout(() => {
    firstPaintMs = performance.now();
    paintedAt = performance.timeOrigin + firstPaintMs;
    document.body.dataset.ready = 'true';
    recordPerf();
  }, 0);
});
post({ type: 'ready' });
