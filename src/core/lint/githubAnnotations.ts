import type { LintReport, ReportDiagnostic } from './report';
import type { Severity } from './types';

/**
 * GitHub Actions workflow commands (`::error file=…,line=…::message`), one per diagnostic, escaped
 * the way @actions/core escapes them: without it a `,` or `:` in a path ends the property early and a
 * newline in a message starts a new, attacker-chosen workflow command.
 */

/** Shown per step and per level; the rest stay in the log only. */
export const GITHUB_ANNOTATION_LIMIT = 10;

export type AnnotationCommand = 'error' | 'warning' | 'notice';

export const annotationCommand = (s: Severity): AnnotationCommand => (s === 'error' ? 'error' : s === 'warning' ? 'warning' : 'notice');

export function escapeData(s: string): string {
  return s.replace(/%/g, '%25').replace(/\r/g, '%0D').replace(/\n/g, '%0A');
}

export function escapeProperty(s: string): string {
  return escapeData(s).replace(/:/g, '%3A').replace(/,/g, '%2C');
}

const posInt = (n: number): number => (Number.isFinite(n) && n >= 1 ? Math.floor(n) : 1);

function annotation(path: string, d: ReportDiagnostic): string {
  const line = posInt(d.line);
  const endLine = Math.max(line, posInt(d.endLine));
  // Columns must not be sent for an annotation that spans lines (@actions/core AnnotationProperties).
  const oneLine = endLine === line;
  const col = posInt(d.column);
  const props: [string, string | number][] = [
    ['file', path],
    ['line', line],
    ...(oneLine ? [['col', col] as [string, number]] : []),
    ['endLine', endLine],
    ...(oneLine ? [['endColumn', Math.max(col, posInt(d.endColumn))] as [string, number]] : []),
    ['title', `${d.rule} (${d.code})`],
  ];
  const encoded = props.map(([k, v]) => `${k}=${escapeProperty(String(v))}`).join(',');
  return `::${annotationCommand(d.severity)} ${encoded}::${escapeData(d.message)}`;
}

const plural = (n: number, word: string): string => `${n} ${word}${n === 1 ? '' : 's'}`;

export function formatGithub(report: LintReport): string {
  const out: string[] = [];
  const perLevel: Record<AnnotationCommand, number> = { error: 0, warning: 0, notice: 0 };
  for (const f of report.files) {
    for (const d of f.diagnostics) {
      perLevel[annotationCommand(d.severity)]++;
      out.push(annotation(f.path, d));
    }
  }
  const s = report.summary;
  let summary = `llmops lint: ${plural(s.files, 'file')}, ${plural(s.records, 'record')}: ${plural(s.errors, 'error')}, ${plural(s.warnings, 'warning')}`;
  if (Object.values(perLevel).some((n) => n > GITHUB_ANNOTATION_LIMIT)) {
    summary += ` (GitHub shows at most ${GITHUB_ANNOTATION_LIMIT} annotations of each level per step; every finding is listed above in this log)`;
  }
  out.push(summary);
  return out.join('\n') + '\n';
}
