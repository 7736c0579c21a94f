export type Severity = 'error' | 'warning' | 'info' | 'hint';

/** ruff's vocabulary: a safe fix keeps meaning, an unsafe one may change it, display-only is advice. */
export type FixApplicability = 'safe' | 'unsafe' | 'display-only';

/** The fixed sections of every rule's documentation (`llmops explain` prints them). */
export interface RuleDoc {
  what: string;
  why: string;
  example: string;
  useInstead: string;
}

export interface Rule {
  /** Stable code, never reused: `LD` + three digits. */
  code: string;
  /** Stable kebab-case name describing the flagged pattern. */
  name: string;
  defaultSeverity: Severity;
  /** One line for listings. */
  summary: string;
  fix?: { title: string; applicability: FixApplicability };
  doc: RuleDoc;
}

/** A text edit in 0-based line/column (UTF-16 code units, as LSP counts them). */
export interface Edit {
  startLine: number;
  startColumn: number;
  endLine: number;
  endColumn: number;
  newText: string;
}

/**
 * A fix travels with its finding (in LSP `diagnostic.data`). Either the edits themselves, or the name
 * of a whole-document rewrite the runtime computes from the current text when the user picks it
 * (so a 100 MB replacement is not shipped with every keystroke's diagnostics).
 */
export interface Fix {
  title: string;
  applicability: FixApplicability;
  edits?: Edit[];
  rewrite?: 'jsonl-from-concatenated';
}

/** One finding, 0-based positions. */
export interface Finding {
  code: string;
  rule: string;
  severity: Severity;
  line: number;
  column: number;
  endLine: number;
  endColumn: number;
  message: string;
  fix?: Fix;
}

export function finding(rule: Rule, line: number, column: number, endLine: number, endColumn: number, message: string, fix?: Fix): Finding {
  const f: Finding = { code: rule.code, rule: rule.name, severity: rule.defaultSeverity, line, column, endLine, endColumn, message };
  if (fix) f.fix = fix;
  return f;
}

/** A path into a parsed record: object keys and array indexes. */
export type JsonPath = readonly (string | number)[];

/**
 * Where a finding points inside its record's line: a JSON path (resolved to the exact key or value
 * range only when a finding is reported) or a raw range of the line.
 */
export type Target = { path: JsonPath; part?: 'key' | 'value' } | { offset: number; length: number } | { wholeLine: true };

/** A fix inside one record, edits addressed like findings. */
export interface RecordFix {
  title: string;
  applicability: FixApplicability;
  edits: { target: Target; newText: string }[];
}

export type RuleSetting = Severity | 'off';

/** Lint options from llmops.yaml (`lint:`), with defaults filled in. */
export interface LintConfig {
  /** Per-rule severity overrides by rule name. */
  rules: Readonly<Record<string, RuleSetting>>;
  /** Format forced for every record (otherwise detected per record). */
  format?: string;
  nearDuplicateThreshold: number;
  minExamples: number;
  /** What this file is to the project (from llmops.yaml `datasets:`), when known. */
  role?: string;
}

export const defaultLintConfig: LintConfig = { rules: {}, nearDuplicateThreshold: 0.85, minExamples: 50 };

export interface RecordContext {
  /** The record's raw line (offsets in targets are relative to it). */
  readonly text: string;
  /** The record's format: forced by config, or detected. */
  readonly format: string;
  readonly config: LintConfig;
  report(rule: Rule, target: Target, message: string, fix?: RecordFix): void;
}

/** A rule that looks at one record at a time (runs on every keystroke for the edited line). */
export interface RecordRule extends Rule {
  scope: 'record';
  /** Formats it applies to; all when absent. */
  formats?: readonly string[];
  check(record: Record<string, unknown>, ctx: RecordContext): void;
}

export interface CollectContext {
  readonly text: string;
  readonly format: string;
  readonly config: LintConfig;
}

export interface FileIssue {
  line: number;
  target: Target;
  message: string;
  fix?: RecordFix;
}

export interface FileContext {
  /** Dominant format of the file (or `mixed`), null when no record. */
  readonly format: string | null;
  readonly formatCounts: Readonly<Record<string, number>>;
  readonly records: number;
  readonly config: LintConfig;
  /** Raw text of a line (for resolving targets). */
  lineText(line: number): string;
}

/**
 * A rule across the records of a file (duplicates, balance, counts). `collect` runs once per record
 * and is cached with the line; `finish` runs over the collected data (after typing settles).
 */
export interface FileRule<T = unknown> extends Rule {
  scope: 'file';
  collect?(record: unknown, ctx: CollectContext): T | undefined;
  finish(items: readonly { line: number; data: T }[], ctx: FileContext): FileIssue[];
}
