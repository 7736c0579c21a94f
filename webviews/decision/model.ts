/**
 * The Decision sidebar's pure logic (no DOM): which questions are answered, group progress, the
 * dirty check against the saved decision, parsing what is typed into a number field, and how values
 * read. Unit-tested in test/unit/decisionWebview.unit.test.ts.
 */
import type { InputSpec } from '../../src/core/decision/inputs';
import type { DecisionInputs, InputId } from '../../src/core/decision/types';
import { answerMaximum } from '../../src/protocol/decisionWebview';

export type Answers = Partial<DecisionInputs>;

/** Counts: whole numbers only (the extension's schema refuses fractions for these). */
const integerInputs: ReadonlySet<InputId> = new Set<InputId>(['monthlyRequests', 'labelledExamples', 'preferencePairs']);

/** The answers with unset (undefined) entries dropped, keys in a stable order. */
export function cleanAnswers(a: Answers): Answers {
  const out: Record<string, unknown> = {};
  for (const k of Object.keys(a).sort()) {
    const v = (a as Record<string, unknown>)[k];
    if (v !== undefined) out[k] = v;
  }
  return out as Answers;
}

/** Same answers (order and undefined entries do not matter). */
export function sameAnswers(a: Answers, b: Answers): boolean {
  const x = cleanAnswers(a) as Record<string, unknown>;
  const y = cleanAnswers(b) as Record<string, unknown>;
  const kx = Object.keys(x);
  if (kx.length !== Object.keys(y).length) return false;
  return kx.every((k) => Object.is(x[k], y[k]) || (x[k] === null && y[k] === null));
}

/** An input counts as answered when the user set it or the project supplies it. */
export const isAnswered = (id: InputId, answers: Answers, fromProject: Answers): boolean =>
  (answers as Record<string, unknown>)[id] !== undefined || ((fromProject as Record<string, unknown>)[id] ?? null) !== null;

export interface GroupProgress {
  group: string;
  specs: InputSpec[];
  answered: number;
  total: number;
  done: boolean;
}

/** The questions in groups, in the order of `specs`, with how many are answered. */
export function groupProgress(specs: readonly InputSpec[], answers: Answers, fromProject: Answers): GroupProgress[] {
  const groups = new Map<string, GroupProgress>();
  for (const s of specs) {
    let g = groups.get(s.group);
    if (!g) groups.set(s.group, (g = { group: s.group, specs: [], answered: 0, total: 0, done: false }));
    g.specs.push(s);
    g.total++;
    if (isAnswered(s.id, answers, fromProject)) g.answered++;
  }
  const out = [...groups.values()];
  for (const g of out) g.done = g.answered === g.total;
  return out;
}

export type ParsedNumber = { ok: true; value: number | undefined } | { ok: false; message: string };

/**
 * What was typed into a number field: empty means "not answered" (the default, or the project's
 * value); otherwise a number within the spec's range. Thousands separators, `$` and `_` are allowed.
 */
export function parseNumberAnswer(text: string, spec: InputSpec): ParsedNumber {
  if (spec.kind !== 'number') return { ok: false, message: `${spec.label} is not a number question` };
  const t = text.trim().replace(/[\s,_$]/g, '');
  if (t === '') return { ok: true, value: undefined };
  if (!/^[+]?(\d+\.?\d*|\.\d+)(e[+]?\d+)?$/i.test(t)) return { ok: false, message: 'Enter a number' };
  const v = Number(t);
  if (!Number.isFinite(v)) return { ok: false, message: 'Enter a number' };
  if (v < spec.min) return { ok: false, message: `At least ${formatNumber(spec.min)}` };
  const max = Math.min(spec.max ?? Infinity, (answerMaximum as Partial<Record<InputId, number>>)[spec.id] ?? Infinity);
  if (v > max) return { ok: false, message: `At most ${formatNumber(max)}` };
  if (integerInputs.has(spec.id) && !Number.isInteger(v)) return { ok: false, message: 'Enter a whole number' };
  return { ok: true, value: v };
}

export function formatNumber(n: number): string {
  if (Math.abs(n) >= 1000 || Number.isInteger(n)) return Math.round(n).toLocaleString('en-US');
  return String(Number(n.toPrecision(4)));
}

/** A value as the sidebar reads it: an option's label, "Yes"/"No", or a number with its unit. */
export function formatValue(spec: InputSpec, value: unknown): string {
  if (value === null || value === undefined) return spec.kind === 'number' && spec.nullable ? 'counted from the datasets' : '—';
  switch (spec.kind) {
    case 'boolean':
      return value ? 'Yes' : 'No';
    case 'level':
    case 'choice':
      return spec.options.find((o) => o.value === value)?.label ?? String(value);
    case 'number': {
      const n = Number(value);
      if (spec.unit === 'USD') return `$${formatNumber(n)}`;
      if (spec.unit.startsWith('USD/')) return `$${formatNumber(n)}/${spec.unit.slice(4)}`;
      return `${formatNumber(n)} ${spec.unit}`;
    }
  }
}

/** The string a form control holds for a value (radio value or number field text). */
export function controlValue(spec: InputSpec, value: unknown): string {
  if (value === null || value === undefined) return '';
  if (spec.kind === 'boolean') return value ? 'true' : 'false';
  return String(value);
}

/** The answer a radio value stands for. */
export function radioAnswer(spec: InputSpec, raw: string): DecisionInputs[InputId] | undefined {
  if (spec.kind === 'boolean') return raw === 'true' ? true : raw === 'false' ? false : undefined;
  if (spec.kind === 'level' || spec.kind === 'choice') return spec.options.some((o) => o.value === raw) ? (raw as DecisionInputs[InputId]) : undefined;
  return undefined;
}

/** Compact money for chart axes: $800, $1.2k, $15k, $2.5M. */
export function formatUsdShort(x: number): string {
  const a = Math.abs(x);
  const s = x < 0 ? '-' : '';
  if (a >= 1e6) return `${s}$${trim(a / 1e6)}M`;
  if (a >= 1e3) return `${s}$${trim(a / 1e3)}k`;
  return `${s}$${Math.round(a)}`;
}
const trim = (v: number): string => (v >= 10 ? String(Math.round(v)) : v.toFixed(1).replace(/\.0$/, ''));

/** "2.9 months", "1 month", "11 months". */
export function formatMonths(m: number): string {
  const v = m >= 10 ? Math.round(m) : Math.round(m * 10) / 10;
  return `${v} month${v === 1 ? '' : 's'}`;
}

/** Median and maximum of a list of timings (NaN for an empty list). */
export function summarize(xs: readonly number[]): { n: number; median: number; max: number } {
  if (!xs.length) return { n: 0, median: NaN, max: NaN };
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return { n: s.length, median: s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2, max: s[s.length - 1] };
}
