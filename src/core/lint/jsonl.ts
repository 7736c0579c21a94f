import { detectRecordFormat, formatNames, summarizeFormats, type FormatName } from '../dataset/formats';
import { findJsonSyntaxError, parseConcatenatedJson, type JsonSyntaxError } from '../dataset/jsonSyntax';
import { emptyFile } from './rules/emptyFile';
import { invalidJson } from './rules/invalidJson';
import { multilineJsonNotJsonl } from './rules/multilineJsonNotJsonl';
import { finding, type Finding } from './types';

/** Per-line outcome, packed in one small integer: kind in the low 2 bits, format id above. */
export const enum LineKind {
  Blank = 0,
  Record = 1,
  Invalid = 2,
}

export const lineKind = (packed: number): LineKind => packed & 3;
export const lineFormat = (packed: number): number => packed >> 2;

/** Max length of an error's underline: a 50 MB line must not produce a 50 MB range. */
const MAX_SPAN = 200;

function isBlank(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c !== 0x20 && c !== 0x09 && c !== 0x0d && c !== 0x0a) return false;
  }
  return true;
}

/**
 * Lints one line (without its terminator). Returns the packed outcome; for invalid lines the syntax
 * error, with offsets relative to the line, is written to `out.error`.
 */
export function lintLine(line: string, out: { error: JsonSyntaxError | null }): number {
  const c = line.charCodeAt(0);
  // Records start with '{' in every format; only other first characters need the blank test.
  if (c !== 0x7b && isBlank(line)) return LineKind.Blank;
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch (e) {
    out.error = findJsonSyntaxError(line) ?? {
      // The scanner agreed the text is JSON but V8 did not: report V8's own words.
      offset: 0,
      length: Math.min(line.length, MAX_SPAN),
      message: e instanceof Error ? e.message : String(e),
    };
    return LineKind.Invalid;
  }
  return LineKind.Record | (detectRecordFormat(value) << 2);
}

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

interface FileFacts {
  invalid: InvalidLine[];
  records: number;
  formatCounts: ArrayLike<number>;
  lines: number;
  /** True when the first non-blank line is invalid (the signature of pretty-printed JSON). */
  firstContentInvalid: boolean;
  /** Lazily produces the whole text; only called when the file looks pretty-printed. */
  text: () => string;
}

/** File-level step shared by the batch and the incremental linter. */
export function fileFindings(f: FileFacts): JsonlLint {
  const fmt = summarizeFormats(f.formatCounts);
  if (f.invalid.length >= 2 && f.firstContentInvalid) {
    const multi = detectConcatenated(f.text());
    if (multi) return multi;
  }
  const findings = f.invalid.map((l) => invalidJsonFinding(l.line, l.error));
  if (f.records === 0 && f.invalid.length === 0) {
    findings.push(finding(emptyFile, 0, 0, 0, 0, 'Dataset is empty: no records (expected one JSON object per line)'));
  }
  return { format: fmt.format, formatCounts: fmt.counts, records: f.records, lines: f.lines, findings };
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
  const records =
    parsed.values.length === 1 && Array.isArray(parsed.values[0]) ? (parsed.values[0] as unknown[]) : parsed.values;
  const counts = new Array<number>(formatNames.length).fill(0);
  for (const r of records) counts[detectRecordFormat(r)]++;
  const fmt = summarizeFormats(counts);
  const firstLine = lineOf(text, parsed.starts[0], 0, 0);
  const lastLine = lineOf(text, parsed.ends[parsed.ends.length - 1], parsed.starts[0], firstLine);
  const lines = lastLine + 1;
  const shape =
    records === parsed.values
      ? `${records.length} pretty-printed JSON ${records.length === 1 ? 'value' : 'values'} spread over ${lines} lines`
      : `one JSON array of ${records.length} records spread over ${lines} lines`;
  const firstLineText = text.slice(parsed.starts[0], Math.max(parsed.starts[0] + 1, text.indexOf('\n', parsed.starts[0]) >>> 0));
  const f = finding(
    multilineJsonNotJsonl,
    firstLine,
    0,
    firstLine,
    Math.min(firstLineText.replace(/\r$/, '').length || 1, MAX_SPAN),
    `This file is not JSON Lines: it holds ${shape}. Each record must be on its own line.`,
    { title: multilineJsonNotJsonl.fix!.title, applicability: 'safe', rewrite: 'jsonl-from-concatenated' },
  );
  return { format: fmt.format, formatCounts: fmt.counts, records: records.length, lines, findings: [f] };
}

/** The multiline fix: one compact JSON record per line; null when the text is not concatenated JSON. */
export function rewriteAsJsonl(text: string, eol = '\n'): string | null {
  const parsed = parseConcatenatedJson(text);
  if (!parsed) return null;
  const records =
    parsed.values.length === 1 && Array.isArray(parsed.values[0]) ? (parsed.values[0] as unknown[]) : parsed.values;
  return records.map((r) => JSON.stringify(r)).join(eol) + eol;
}

/** Lints a whole JSONL text in one pass (CLI and workspace scans). */
export function lintJsonlText(text: string): JsonlLint {
  const n = text.length;
  let pos = text.charCodeAt(0) === 0xfeff ? 1 : 0;
  let lineNo = 0;
  let records = 0;
  let firstContent = -1;
  let firstContentInvalid = false;
  const invalid: InvalidLine[] = [];
  const formatCounts = new Array<number>(formatNames.length).fill(0);
  const out: { error: JsonSyntaxError | null } = { error: null };
  while (pos < n) {
    let nl = text.indexOf('\n', pos);
    if (nl < 0) nl = n;
    const packed = lintLine(text.slice(pos, nl), out);
    const kind = packed & 3;
    if (kind === LineKind.Record) {
      records++;
      formatCounts[packed >> 2]++;
    } else if (kind === LineKind.Invalid) {
      invalid.push({ line: lineNo, error: out.error! });
    }
    if (kind !== LineKind.Blank && firstContent < 0) {
      firstContent = lineNo;
      firstContentInvalid = kind === LineKind.Invalid;
    }
    pos = nl + 1;
    lineNo++;
  }
  return fileFindings({ invalid, records, formatCounts, lines: lineNo, firstContentInvalid, text: () => text });
}
