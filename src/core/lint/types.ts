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
