import { detectRecordFormat, formatNames } from '../dataset/formats';
import { locateJsonPath } from '../dataset/jsonLocate';
import { findJsonSyntaxError, type JsonSyntaxError } from '../dataset/jsonSyntax';
import { notAnObject } from './rules/notAnObject';
import { rules as allRules } from './rules/registry';
import { normalizedLineHash } from '../quality/recordText';
import type { CollectContext, Edit, FileContext, FileIssue, FileRule, FileRuleStream, Finding, Fix, LintConfig, RecordContext, RecordFix, RecordRule, Rule, Severity, Target } from './types';

/** Max length of an underline: a 50 MB line must not produce a 50 MB range. */
export const MAX_SPAN = 200;

export const enum LineKind {
  Blank = 0,
  Record = 1,
  Invalid = 2,
}

/** What one line produced; cached per line by the incremental document. */
export interface LineResult {
  kind: LineKind;
  /** Format id (see formatNames) of a record line. */
  format: number;
  error: JsonSyntaxError | null;
  /** Findings of record rules, on line 0 (shifted to the real line when emitted). */
  findings: Finding[] | null;
  /** Data for file rules, indexed like `RuleSet.fileRules`. */
  collected: unknown[] | null;
}

const BLANK: LineResult = Object.freeze({ kind: LineKind.Blank, format: 0, error: null, findings: null, collected: null }) as LineResult;

function isBlank(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c !== 0x20 && c !== 0x09 && c !== 0x0d && c !== 0x0a) return false;
  }
  return true;
}

/** Column range of a target in its line; the whole line (capped) when a path cannot be found. */
export function resolveTarget(text: string, target: Target): { column: number; endColumn: number } {
  let offset: number;
  let length: number;
  if ('wholeLine' in target) {
    offset = 0;
    length = text.length;
  } else if ('path' in target) {
    const r = locateJsonPath(text, target.path, target.part ?? 'value');
    if (r) ({ offset, length } = r);
    else {
      offset = text.length - text.trimStart().length;
      length = text.trim().length;
    }
  } else ({ offset, length } = target);
  return { column: offset, endColumn: offset + Math.min(Math.max(length, 1), MAX_SPAN) };
}

function toFix(text: string, fix: RecordFix | undefined): Fix | undefined {
  if (!fix) return undefined;
  const edits: Edit[] = fix.edits.map((e) => {
    // The line and its terminator (removing a record).
    if ('wholeLine' in e.target) return { startLine: 0, startColumn: 0, endLine: 1, endColumn: 0, newText: e.newText };
    if ('path' in e.target) {
      // Edits replace the whole key or value, not a capped underline.
      const r = locateJsonPath(text, e.target.path, e.target.part ?? 'value');
      const s = r ? r.offset : 0;
      const end = r ? r.offset + r.length : text.length;
      return { startLine: 0, startColumn: s, endLine: 0, endColumn: end, newText: e.newText };
    }
    return { startLine: 0, startColumn: e.target.offset, endLine: 0, endColumn: e.target.offset + e.target.length, newText: e.newText };
  });
  return { title: fix.title, applicability: fix.applicability, edits };
}

/** A finding on line 0 of `text`. */
export function recordFinding(rule: Rule, severity: Severity, text: string, target: Target, message: string, fix?: RecordFix): Finding {
  const { column, endColumn } = resolveTarget(text, target);
  const f: Finding = { code: rule.code, rule: rule.name, severity, line: 0, column, endLine: 0, endColumn, message };
  const resolved = toFix(text, fix);
  if (resolved) f.fix = resolved;
  return f;
}

/** A copy of a line-0 finding moved to `line` (fix edits too). */
export function atLine(f: Finding, line: number): Finding {
  if (line === 0) return f;
  const out: Finding = { ...f, line: f.line + line, endLine: f.endLine + line };
  if (f.fix?.edits) out.fix = { ...f.fix, edits: f.fix.edits.map((e) => ({ ...e, startLine: e.startLine + line, endLine: e.endLine + line })) };
  return out;
}

const severityRank: Record<Severity, number> = { hint: 0, info: 1, warning: 2, error: 3 };

/** The rules in force for a config: severities applied, `off` rules gone, record rules by format. */
export class RuleSet {
  readonly recordRules: readonly RecordRule[];
  readonly fileRules: readonly FileRule[];
  private readonly byFormat = new Map<string, RecordRule[]>();
  private readonly severities = new Map<string, Severity | 'off'>();
  readonly forcedFormat: number;

  constructor(
    readonly config: LintConfig,
    rules: readonly Rule[] = allRules,
  ) {
    for (const r of rules) this.severities.set(r.name, config.rules[r.name] ?? r.defaultSeverity);
    const on = (r: Rule) => this.severities.get(r.name) !== 'off';
    this.recordRules = rules.filter((r): r is RecordRule => (r as RecordRule).scope === 'record' && on(r));
    this.fileRules = rules.filter((r): r is FileRule => (r as FileRule).scope === 'file' && on(r));
    for (const name of formatNames) this.byFormat.set(name, this.recordRules.filter((r) => !r.formats || r.formats.includes(name)));
    this.forcedFormat = config.format ? Math.max(0, formatNames.indexOf(config.format as (typeof formatNames)[number])) : -1;
  }

  severity(rule: Rule): Severity | 'off' {
    return this.severities.get(rule.name) ?? rule.defaultSeverity;
  }

  forFormat(format: string): readonly RecordRule[] {
    return this.byFormat.get(format) ?? this.recordRules;
  }
}

/** Lints one line: JSON syntax, record rules, and the data file rules collect. */
export class LineLinter {
  private findings: Finding[] | null = null;
  private text = '';
  private readonly ctx: RecordContext;

  constructor(readonly ruleSet: RuleSet) {
    // One context object reused for every record: the hot path allocates nothing for clean lines.
    // eslint-disable-next-line @typescript-eslint/no-this-alias
    const self = this;
    this.ctx = {
      get text() {
        return self.text;
      },
      format: 'unknown',
      config: ruleSet.config,
      report(rule, target, message, fix, lower) {
        const sev = self.ruleSet.severity(rule);
        if (sev === 'off') return;
        const use = lower && severityRank[lower] < severityRank[sev] ? lower : sev;
        (self.findings ??= []).push(recordFinding(rule, use, self.text, target, message, fix));
      },
    };
  }

  lint(text: string): LineResult {
    const c = text.charCodeAt(0);
    if (c !== 0x7b && isBlank(text)) return BLANK;
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch (e) {
      const error = findJsonSyntaxError(text) ?? {
        // The scanner agreed the text is JSON but V8 did not: report V8's own words.
        offset: 0,
        length: Math.min(text.length, MAX_SPAN),
        message: e instanceof Error ? e.message : String(e),
      };
      return { kind: LineKind.Invalid, format: 0, error, findings: null, collected: null };
    }
    const rs = this.ruleSet;
    this.text = text;
    this.findings = null;
    const detected = detectRecordFormat(value);
    const formatId = rs.forcedFormat >= 0 ? rs.forcedFormat : detected;
    const format = formatNames[formatId];
    if (typeof value !== 'object' || value === null || Array.isArray(value)) {
      const sev = rs.severity(notAnObject);
      if (sev !== 'off') {
        const what = value === null ? 'null' : Array.isArray(value) ? `an array of ${value.length} elements` : `a ${typeof value}`;
        this.findings = [recordFinding(notAnObject, sev, text, { path: [] }, `Each line must be a JSON object (a record); this line is ${what}`)];
      }
    } else {
      (this.ctx as { format: string }).format = format;
      const recordRules = rs.forFormat(format);
      for (let i = 0; i < recordRules.length; i++) recordRules[i].check(value as Record<string, unknown>, this.ctx);
    }
    let collected: unknown[] | null = null;
    const fileRules = rs.fileRules;
    if (fileRules.length) {
      collected = new Array<unknown>(fileRules.length);
      let hash = -1;
      const cctx: CollectContext = { text, format, config: rs.config, lineHash: () => (hash < 0 ? (hash = normalizedLineHash(text)) : hash) };
      for (let i = 0; i < fileRules.length; i++) collected[i] = fileRules[i].collect?.(value, cctx);
    }
    return { kind: LineKind.Record, format: formatId, error: null, findings: this.findings, collected };
  }
}

/**
 * Runs the file rules over collected per-line data; returns findings on absolute lines. `live`
 * holds streams that were already fed while the file streamed in (their data is not in `lines`).
 */
export function runFileRules(
  ruleSet: RuleSet,
  lines: { line: number; collected: unknown[] | null }[],
  ctx: FileContext,
  live?: readonly (FileRuleStream<unknown> | undefined)[],
): Finding[] {
  const out: Finding[] = [];
  ruleSet.fileRules.forEach((rule, i) => {
    const sev = ruleSet.severity(rule);
    if (sev === 'off') return;
    let issues: FileIssue[];
    const fed = live?.[i];
    if (fed) issues = fed.end(ctx);
    else if (rule.stream) {
      const s = rule.stream(ruleSet.config);
      for (const l of lines) {
        const d = l.collected?.[i];
        if (d !== undefined) s.add(l.line, d);
      }
      issues = s.end(ctx);
    } else {
      const items: { line: number; data: unknown }[] = [];
      for (const l of lines) {
        const d = l.collected?.[i];
        if (d !== undefined) items.push({ line: l.line, data: d });
      }
      issues = rule.finish?.(items, ctx) ?? [];
    }
    for (const issue of issues) {
      out.push(atLine(recordFinding(rule, sev, ctx.lineText(issue.line), issue.target, issue.message, issue.fix), issue.line));
    }
  });
  return out;
}
