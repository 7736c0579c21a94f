import { formatNames, summarizeFormats, type FormatName } from '../dataset/formats';
import { parseConcatenatedJson, type JsonSyntaxError } from '../dataset/jsonSyntax';
import { atLine, LineKind, LineLinter, MAX_SPAN, RuleSet, runFileRules, type LineResult } from './engine';
import { emptyFile } from './rules/emptyFile';
import { invalidJson } from './rules/invalidJson';
import { multilineJsonNotJsonl } from './rules/multilineJsonNotJsonl';
import { defaultLintConfig, finding, type FileRuleStream, type Finding, type LintConfig } from './types';

export { LineKind } from './engine';

export interface InvalidLine {
  line: number;
  error: JsonSyntaxError;
}

export interface JsonlLint {
  /** Dominant record format; `mixed` when several, null when no record. */
  format: FormatName | 'mixed' | null;
  formatCounts: Partial<Record<FormatName, number>>;
  /** Records that parse (for pretty-printed files: the records the rewrite would produce). */
  records: number;
  /** Lines in the file (a final line terminator does not start a new line). */
  lines: number;
  findings: Finding[];
}

export function invalidJsonFinding(line: number, err: JsonSyntaxError): Finding {
  const len = Math.min(Math.max(err.length, 1), MAX_SPAN);
  return finding(invalidJson, line, err.offset, line, err.offset + len, `Invalid JSON: ${err.message}`);
}

const byPosition = (a: Finding, b: Finding): number => a.line - b.line || a.column - b.column;

/**
 * Everything a file's lines produced, in the shape the file-level step needs. Filled by the
 * streaming linter (CLI, workspace scans) and by the incremental document (editor).
 */
export class FileAccumulator {
  records = 0;
  lines = 0;
  firstContentInvalid: boolean | null = null;
  readonly invalid: InvalidLine[] = [];
  readonly recordFindings: Finding[] = [];
  readonly collected: { line: number; collected: unknown[] | null }[] = [];
  readonly formatCounts = new Array<number>(formatNames.length).fill(0);
  /** Streams of file rules fed as lines arrive (streaming mode only). */
  readonly live: (FileRuleStream<unknown> | undefined)[] | undefined;

  /** The editor's keystroke path skips file-rule data: those rules run once typing pauses. */
  collectFileData = true;

  constructor(ruleSet?: RuleSet) {
    this.live = ruleSet?.fileRules.map((r) => r.stream?.(ruleSet.config) as FileRuleStream<unknown> | undefined);
  }

  add(line: number, r: LineResult): void {
    this.lines = line + 1;
    if (r.kind === LineKind.Blank) return;
    if (this.firstContentInvalid === null) this.firstContentInvalid = r.kind === LineKind.Invalid;
    if (r.kind === LineKind.Invalid) {
      this.invalid.push({ line, error: r.error! });
      return;
    }
    this.records++;
    this.formatCounts[r.format]++;
    if (r.findings) for (const f of r.findings) this.recordFindings.push(atLine(f, line));
    if (!r.collected || !this.collectFileData) return;
    const live = this.live;
    if (!live) {
      this.collected.push({ line, collected: r.collected });
      return;
    }
    let keep = false;
    for (let i = 0; i < r.collected.length; i++) {
      const d = r.collected[i];
      if (d === undefined) continue;
      const s = live[i];
      if (s) s.add(line, d);
      else keep = true;
    }
    if (keep) this.collected.push({ line, collected: r.collected });
  }
}

/**
 * The file-level step shared by every linter: pretty-printed JSON detection, empty files and the
 * rules across records. `lineText` resolves targets of file-rule findings (returns '' when the
 * caller no longer holds the line, e.g. a streamed 1 GB file: the finding then covers column 1).
 */
export function finishFile(
  acc: FileAccumulator,
  ruleSet: RuleSet,
  text: (() => string | null) | null,
  lineText: (line: number) => string,
  withFileRules = true,
): JsonlLint {
  const fmt = summarizeFormats(acc.formatCounts);
  if (acc.invalid.length >= 2 && acc.firstContentInvalid && text) {
    const whole = text();
    const multi = whole === null ? null : detectConcatenated(whole);
    if (multi) return multi;
  }
  const findings = acc.invalid.map((l) => invalidJsonFinding(l.line, l.error));
  for (const f of acc.recordFindings) findings.push(f);
  if (acc.records === 0 && acc.invalid.length === 0) {
    findings.push(finding(emptyFile, 0, 0, 0, 0, 'Dataset is empty: no records (expected one JSON object per line)'));
  }
  if (withFileRules && ruleSet.fileRules.length) {
    const formatCounts = fmt.counts as Record<string, number>;
    for (const f of runFileRules(ruleSet, acc.collected, { format: fmt.format, formatCounts, records: acc.records, config: ruleSet.config, lineText }, acc.live)) findings.push(f);
  }
  findings.sort(byPosition);
  return { format: fmt.format, formatCounts: fmt.counts, records: acc.records, lines: acc.lines, findings };
}

function lineOf(text: string, offset: number, from: number, fromLine: number): number {
  let line = fromLine;
  for (let i = text.indexOf('\n', from); i >= 0 && i < offset; i = text.indexOf('\n', i + 1)) line++;
  return line;
}

/** Pretty-printed JSON (values spanning lines, or one array of records) reported once. */
function detectConcatenated(text: string): JsonlLint | null {
  const parsed = parseConcatenatedJson(text);
  if (!parsed) return null;
  const records = parsed.values.length === 1 && Array.isArray(parsed.values[0]) ? (parsed.values[0] as unknown[]) : parsed.values;
  const counts = new Array<number>(formatNames.length).fill(0);
  const linter = new LineLinter(new RuleSet(defaultLintConfig, []));
  for (const r of records) counts[linter.lint(JSON.stringify(r)).format]++;
  const fmt = summarizeFormats(counts);
  const firstLine = lineOf(text, parsed.starts[0], 0, 0);
  const lastLine = lineOf(text, parsed.ends[parsed.ends.length - 1], parsed.starts[0], firstLine);
  const lines = lastLine + 1;
  const shape =
    records === parsed.values
      ? `${records.length} pretty-printed JSON ${records.length === 1 ? 'value' : 'values'} spread over ${lines} lines`
      : `one JSON array of ${records.length} records spread over ${lines} lines`;
  const eol = text.indexOf('\n', parsed.starts[0]);
  const firstLineText = text.slice(parsed.starts[0], eol < 0 ? text.length : eol).replace(/\r$/, '');
  const f = finding(
    multilineJsonNotJsonl,
    firstLine,
    0,
    firstLine,
    Math.min(firstLineText.length || 1, MAX_SPAN),
    `This file is not JSON Lines: it holds ${shape}. Each record must be on its own line.`,
    { title: multilineJsonNotJsonl.fix!.title, applicability: 'safe', rewrite: 'jsonl-from-concatenated' },
  );
  return { format: fmt.format, formatCounts: fmt.counts, records: records.length, lines, findings: [f] };
}

/** The multiline fix: one compact JSON record per line; null when the text is not concatenated JSON. */
export function rewriteAsJsonl(text: string, eol = '\n'): string | null {
  const parsed = parseConcatenatedJson(text);
  if (!parsed) return null;
  const records = parsed.values.length === 1 && Array.isArray(parsed.values[0]) ? (parsed.values[0] as unknown[]) : parsed.values;
  return records.map((r) => JSON.stringify(r)).join(eol) + eol;
}

/**
 * Text kept from the start of a streamed file: the pretty-printed check needs it while the first
 * record is invalid (up to the larger limit); otherwise only enough to place file-rule findings.
 */
const MULTILINE_CHECK_LIMIT = 64 * 1024 * 1024;
const HEAD_LIMIT = 8 * 1024 * 1024;

/** Lints a file line by line as it streams in; memory stays bounded by findings and rule data. */
export class StreamingLinter {
  private readonly linter: LineLinter;
  private readonly acc: FileAccumulator;
  private lineNo = 0;
  private head: string[] | null = [];
  private headChars = 0;

  constructor(readonly ruleSet: RuleSet = new RuleSet(defaultLintConfig)) {
    this.linter = new LineLinter(ruleSet);
    this.acc = new FileAccumulator(ruleSet);
  }

  /** One line without its terminator (a trailing CR is fine). */
  push(line: string): void {
    if (this.lineNo === 0 && line.charCodeAt(0) === 0xfeff) line = line.slice(1);
    if (this.head) {
      this.headChars += line.length + 1;
      const limit = this.acc.firstContentInvalid === false ? HEAD_LIMIT : MULTILINE_CHECK_LIMIT;
      if (this.headChars > limit) this.head = null;
      else this.head.push(line);
    }
    this.acc.add(this.lineNo++, this.linter.lint(line));
  }

  finish(): JsonlLint {
    const head = this.head;
    return finishFile(this.acc, this.ruleSet, head ? () => head.join('\n') : null, (n) => head?.[n] ?? '');
  }
}

/** Lints a whole JSONL text (tests, small files); the CLI streams with StreamingLinter. */
export function lintJsonlText(text: string, config: LintConfig = defaultLintConfig): JsonlLint {
  const s = new StreamingLinter(new RuleSet(config));
  const n = text.length;
  let pos = 0;
  while (pos < n) {
    let nl = text.indexOf('\n', pos);
    if (nl < 0) nl = n;
    s.push(text.slice(pos, nl));
    pos = nl + 1;
  }
  return s.finish();
}
