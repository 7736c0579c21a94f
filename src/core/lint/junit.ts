import type { FileReport, LintReport, ReportDiagnostic } from './report';

/**
 * JUnit XML: one suite, one test case per file. A file with error-severity findings fails with a
 * single <failure> that lists them all: the Ant JUnit schema, which several CI readers follow, allows
 * at most one failure per test case. Warnings and notes go to the case's <system-out>.
 */

export const JUNIT_SUITE = 'llmops lint';

/** Characters XML 1.0 cannot carry at all, even as references: C0 controls but tab/LF/CR, lone surrogates, U+FFFE/U+FFFF. */
const INVALID_XML = /[^\t\n\r\u0020-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/gu;

const visible = (ch: string): string => '\\u' + ch.charCodeAt(0).toString(16).toUpperCase().padStart(4, '0');

export function xmlText(s: string): string {
  return s.replace(INVALID_XML, visible).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/\r/g, '&#13;');
}

/** Whitespace as references too: a parser normalises literal tabs and newlines in attributes to spaces. */
export function xmlAttr(s: string): string {
  return xmlText(s).replace(/"/g, '&quot;').replace(/'/g, '&apos;').replace(/\t/g, '&#9;').replace(/\n/g, '&#10;');
}

const line = (path: string, d: ReportDiagnostic): string => `${path}:${d.line}:${d.column}: ${d.severity} ${d.message} [${d.code} ${d.rule}]`;

const plural = (n: number, word: string): string => `${n} ${word}${n === 1 ? '' : 's'}`;

function testcase(f: FileReport): string {
  const errors = f.diagnostics.filter((d) => d.severity === 'error');
  const others = f.diagnostics.filter((d) => d.severity !== 'error');
  const open = `    <testcase name="${xmlAttr(f.path)}" classname="${xmlAttr(JUNIT_SUITE)}" file="${xmlAttr(f.path)}"`;
  if (!errors.length && !others.length) return `${open}/>`;
  const parts = [`${open}>`];
  if (errors.length) {
    const first = errors[0];
    const message = `${plural(errors.length, 'error')}; first at line ${first.line}: ${first.message}`;
    const types = [...new Set(errors.map((d) => d.code))].join(' ');
    parts.push(`      <failure message="${xmlAttr(message)}" type="${xmlAttr(types)}">${xmlText(errors.map((d) => line(f.path, d)).join('\n'))}</failure>`);
  }
  if (others.length) parts.push(`      <system-out>${xmlText(others.map((d) => line(f.path, d)).join('\n'))}</system-out>`);
  parts.push('    </testcase>');
  return parts.join('\n');
}

export function formatJunit(report: LintReport): string {
  const tests = report.files.length;
  const failures = report.files.filter((f) => f.diagnostics.some((d) => d.severity === 'error')).length;
  const counts = `tests="${tests}" failures="${failures}" errors="0" skipped="0"`;
  const name = xmlAttr(JUNIT_SUITE);
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<testsuites name="${name}" ${counts}>`,
    `  <testsuite name="${name}" ${counts}>`,
    ...report.files.map(testcase),
    '  </testsuite>',
    '</testsuites>',
    '',
  ].join('\n');
}
