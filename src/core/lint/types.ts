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
  /**
   * Token counting for the project's base model (injected by the runtime, which loads tokenizers;
   * not serialisable). Absent: token-based rules (`exceeds-context`) do nothing.
   */
  tokens?: TokenCounter;
  /** For an evaluation file: the training set's record and prompt hashes (train-eval-overlap). */
  overlap?: OverlapReference;
}

/** Hashes of a training file's records and prompts, loaded by the runtime. */
export interface OverlapReference {
  /** Identifies the content (path and modification time): part of the rule-set cache key. */
  id: string;
  /** Path shown in messages (relative to the project). */
  trainPath: string;
  /** Record hash → first line (0-based) in the training file; same for prompt hashes. */
  records: ReadonlyMap<number, number>;
  prompts: ReadonlyMap<number, number>;
}

/**
 * Counts a record's tokens as the trainer will see them (chat template applied), with a cheap upper
 * bound so rules can skip records that cannot exceed `limit` without tokenizing them.
 */
export interface TokenCounter {
  /** Identifies tokenizer, limit and source: part of the rule-set cache key (the functions are not serialisable). */
  id: string;
  /** Most tokens a record may have: min(model context, training max_seq_len). */
  limit: number;
  /** Where `limit` comes from, for messages (e.g. `max_seq_len in sft.train.yaml`). */
  limitSource: string;
  /** False for estimates (no tokenizer found): counts are shown with ≈. */
  exact: boolean;
  /** Tokenizer name for messages (e.g. `Qwen/Qwen3-0.6B`, `o200k_base`). */
  name: string;
  countRecord(record: Record<string, unknown>, format: string): number;
  /** Never below `countRecord` for the same record; much cheaper. */
  upperBound(record: Record<string, unknown>, format: string): number;
  /** Tokens that carry loss (assistant turns with weight ≠ 0, completions, chosen), for stats. */
  countTrainable?(record: Record<string, unknown>, format: string): number;
}

export const defaultLintConfig: LintConfig = { rules: {}, nearDuplicateThreshold: 0.85, minExamples: 50 };

export interface RecordContext {
  /** The record's raw line (offsets in targets are relative to it). */
  readonly text: string;
  /** The record's format: forced by config, or detected. */
  readonly format: string;
  readonly config: LintConfig;
  /** `severity` lowers the rule's severity for this one finding (e.g. a known test card number). */
  report(rule: Rule, target: Target, message: string, fix?: RecordFix, severity?: Severity): void;
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
  /** Hash of the line with whitespace normalised, computed once per record for all rules. */
  lineHash(): number;
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

/** Consumes a file rule's collected data in line order, keeping only what it needs. */
export interface FileRuleStream<T> {
  add(line: number, data: T): void;
  end(ctx: FileContext): FileIssue[];
}

/**
 * A rule across the records of a file (duplicates, balance, counts). `collect` runs once per record
 * (the editor caches it with the line); then either `finish` runs over everything collected, or a
 * `stream` is fed the data in line order — streamed files (1 GB) then never hold all of it.
 */
export interface FileRule<T = unknown> extends Rule {
  scope: 'file';
  collect?(record: unknown, ctx: CollectContext): T | undefined;
  finish?(items: readonly { line: number; data: T }[], ctx: FileContext): FileIssue[];
  stream?(config: LintConfig): FileRuleStream<T>;
}
