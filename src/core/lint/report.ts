import type { Finding, Severity } from './types';

/** One diagnostic in the CLI's JSON output (1-based lines and columns). Stable: do not rename. */
export interface ReportDiagnostic {
  code: string;
  rule: string;
  severity: Severity;
  line: number;
  column: number;
  endLine: number;
  endColumn: number;
  message: string;
}

export interface FileReport {
  path: string;
  format: string | null;
  records: number;
  diagnostics: ReportDiagnostic[];
}

export interface LintReport {
  files: FileReport[];
  summary: { files: number; records: number; errors: number; warnings: number };
}

export function toReportDiagnostic(f: Finding): ReportDiagnostic {
  return {
    code: f.code,
    rule: f.rule,
    severity: f.severity,
    line: f.line + 1,
    column: f.column + 1,
    endLine: f.endLine + 1,
    endColumn: f.endColumn + 1,
    message: f.message,
  };
}

export function summarize(files: FileReport[]): LintReport {
  let records = 0;
  let errors = 0;
  let warnings = 0;
  for (const f of files) {
    records += f.records;
    for (const d of f.diagnostics) {
      if (d.severity === 'error') errors++;
      else if (d.severity === 'warning') warnings++;
    }
  }
  return { files, summary: { files: files.length, records, errors, warnings } };
}

const plural = (n: number, word: string): string => `${n} ${word}${n === 1 ? '' : 's'}`;

/** Human-readable output: `path:line:col: severity message [rule]`, then a summary. */
export function formatText(report: LintReport, color = false): string {
  const paint = (code: number, s: string): string => (color ? `\x1b[${code}m${s}\x1b[0m` : s);
  const out: string[] = [];
  for (const f of report.files) {
    for (const d of f.diagnostics) {
      const sev = d.severity === 'error' ? paint(31, 'error') : d.severity === 'warning' ? paint(33, 'warning') : paint(36, d.severity);
      out.push(`${paint(1, f.path)}:${d.line}:${d.column}: ${sev} ${d.message} ${paint(2, `[${d.code} ${d.rule}]`)}`);
    }
  }
  const s = report.summary;
  const formats = report.files.map((f) => f.format).filter((x): x is string => !!x);
  out.push(
    `${plural(s.files, 'file')}, ${plural(s.records, 'record')}: ${plural(s.errors, 'error')}, ${plural(s.warnings, 'warning')}` +
      (formats.length ? ` (formats: ${[...new Set(formats)].join(', ')})` : ''),
  );
  return out.join('\n') + '\n';
}
