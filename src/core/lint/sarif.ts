import { createHash } from 'node:crypto';
import { pathToFileURL } from 'node:url';
import type { LintReport, ReportDiagnostic } from './report';
import type { Rule, Severity } from './types';

/**
 * SARIF 2.1.0 for GitHub code scanning (docs.github.com "SARIF support for code scanning"): every
 * property it marks required is always present and never empty, and its limits are respected.
 */

export const SARIF_SCHEMA = 'https://json.schemastore.org/sarif-2.1.0.json';
export const SARIF_VERSION = '2.1.0';
/** GitHub rejects a run with more results than this. */
export const MAX_SARIF_RESULTS = 25_000;
/**
 * Our own key, not `primaryLocationLineHash`: github/codeql-action's upload-sarif always computes that
 * one from the line's content (better for JSONL, where a line is a record) and logs a warning for every
 * result whose supplied value differs. Versioned as SARIF asks: bump it when the recipe changes.
 */
export const FINGERPRINT_KEY = 'llmopsFindingHash/v1';

/** GitHub's documented limits for these fields. */
const MAX_DESCRIPTION = 1024;
const MAX_NAME = 255;

export type SarifLevel = 'error' | 'warning' | 'note';

export interface SarifOptions {
  toolVersion: string;
  /** Every registered rule: GitHub expects the rules list to change only with the tool, not with the results. */
  rules: readonly Rule[];
  /** Absolute https URI of the tool's home page. */
  informationUri?: string;
  /** Absolute path that report paths are relative to (the repository root in CI); recorded as %SRCROOT%. */
  srcRoot?: string;
  /** Defaults to GitHub's limit; results past it are dropped, least severe first, and a notification says so. */
  maxResults?: number;
}

export function sarifLevel(severity: Severity): SarifLevel {
  return severity === 'error' ? 'error' : severity === 'warning' ? 'warning' : 'note';
}

/** GitHub's `problem.severity` vocabulary for non-security rules. */
const problemSeverity = (s: Severity): string => (s === 'error' ? 'error' : s === 'warning' ? 'warning' : 'recommendation');

/** `invalid-json` → `InvalidJson`: the SARIF validator GitHub links to wants a Pascal-case friendly name. */
export function pascalName(kebab: string): string {
  const name = kebab
    .split(/[^A-Za-z0-9]+/)
    .filter(Boolean)
    .map((w) => w[0].toUpperCase() + w.slice(1))
    .join('');
  return /^[A-Za-z]/.test(name) ? name : `Rule${name}`;
}

const clip = (s: string, max: number): string => (s.length <= max ? s : s.slice(0, max - 1) + '…');
const nonEmpty = (s: string | undefined, fallback: string): string => (s && s.trim() ? s : fallback);

/** A fence longer than any backtick run inside, so examples that contain ``` still render. */
function fenced(code: string): string {
  const longest = Math.max(0, ...(code.match(/`+/g) ?? []).map((r) => r.length));
  const fence = '`'.repeat(Math.max(3, longest + 1));
  return `${fence}\n${code}\n${fence}`;
}

function ruleHelp(rule: Rule): { text: string; markdown: string } {
  const d = rule.doc;
  const fix = rule.fix ? `Fix (${rule.fix.applicability}): ${rule.fix.title}` : '';
  const more = `Run \`llmops explain ${rule.code}\` (or \`llmops explain ${rule.name}\`) for this page in a terminal.`;
  const indent = (s: string): string => s.split('\n').map((l) => '  ' + l).join('\n');
  const text = [
    `${rule.code} ${rule.name}: ${rule.summary}`,
    `What it does\n${indent(d.what)}`,
    `Why\n${indent(d.why)}`,
    `Example\n${indent(d.example)}`,
    `Use instead\n${indent(d.useInstead)}`,
    ...(fix ? [fix] : []),
    more.replace(/`/g, ''),
  ].join('\n\n');
  const markdown = [
    `**${rule.code} ${rule.name}**: ${rule.summary}`,
    `## What it does\n\n${d.what}`,
    `## Why\n\n${d.why}`,
    `## Example\n\n${fenced(d.example)}`,
    `## Use instead\n\n${fenced(d.useInstead)}`,
    ...(fix ? [`**${fix}**`] : []),
    more,
  ].join('\n\n');
  return { text, markdown };
}

function descriptor(rule: Rule): Record<string, unknown> {
  return {
    id: rule.code,
    name: clip(pascalName(rule.name), MAX_NAME),
    shortDescription: { text: clip(nonEmpty(rule.summary, `${rule.code} ${rule.name}`), MAX_DESCRIPTION) },
    fullDescription: { text: clip(nonEmpty(rule.doc.what, nonEmpty(rule.summary, `${rule.code} ${rule.name}`)), MAX_DESCRIPTION) },
    help: ruleHelp(rule),
    defaultConfiguration: { level: sarifLevel(rule.defaultSeverity) },
    properties: { tags: ['llmops', 'dataset'], 'problem.severity': problemSeverity(rule.defaultSeverity) },
  };
}

/** A diagnostic whose code is not in the registry still needs a valid rule to point at. */
function unknownDescriptor(d: ReportDiagnostic, version: string): Record<string, unknown> {
  const title = `${d.code} ${d.rule}`.trim();
  const text = `${title}: a rule this build of llmops (${version}) has no documentation for.`;
  return {
    id: d.code,
    name: clip(pascalName(d.rule || d.code), MAX_NAME),
    shortDescription: { text: clip(title, MAX_DESCRIPTION) },
    fullDescription: { text: clip(text, MAX_DESCRIPTION) },
    help: { text, markdown: text },
    defaultConfiguration: { level: sarifLevel(d.severity) },
    properties: { tags: ['llmops', 'dataset'] },
  };
}

const isAbsolutePath = (p: string): boolean => p.startsWith('/') || /^[A-Za-z]:\//.test(p);

/**
 * A relative reference, percent-encoded segment by segment (a space, `#`, `%` or a `:` in the first
 * segment would otherwise change what the URI means); the upload action decodes it back.
 */
export function artifactUri(reportPath: string): { uri: string; uriBaseId?: string } {
  const p = reportPath.replace(/\\/g, '/');
  const encoded = p
    .split('/')
    .map((seg) => encodeURIComponent(seg))
    .join('/');
  if (isAbsolutePath(p)) return { uri: 'file://' + (p.startsWith('/') ? '' : '/') + encoded.replace(/^([A-Za-z])%3A/, '$1:') };
  return { uri: encoded.replace(/^(\.\/)+/, ''), uriBaseId: '%SRCROOT%' };
}

const posInt = (n: number): number => (Number.isFinite(n) && n >= 1 ? Math.floor(n) : 1);

function region(d: ReportDiagnostic): Record<string, number> {
  const startLine = posInt(d.line);
  const startColumn = posInt(d.column);
  let endLine = posInt(d.endLine);
  let endColumn = posInt(d.endColumn);
  if (endLine < startLine || (endLine === startLine && endColumn < startColumn)) {
    endLine = startLine;
    endColumn = startColumn;
  }
  return { startLine, startColumn, endLine, endColumn };
}

/**
 * Same rule, same file, same message (numbers blanked, since they are offsets and counts that move
 * when lines are inserted), plus which occurrence of that in the file: the line number is left out so
 * an alert survives edits above it.
 */
function fingerprints(path: string, diagnostics: readonly ReportDiagnostic[]): string[] {
  const order = diagnostics.map((_, i) => i).sort((a, b) => diagnostics[a].line - diagnostics[b].line || diagnostics[a].column - diagnostics[b].column || a - b);
  const seen = new Map<string, number>();
  const out = new Array<string>(diagnostics.length);
  for (const i of order) {
    const d = diagnostics[i];
    const hash = createHash('sha256')
      .update(`${d.code}\0${path}\0${d.message.replace(/\d+/g, '0')}`)
      .digest('hex')
      .slice(0, 16);
    const n = (seen.get(hash) ?? 0) + 1;
    seen.set(hash, n);
    out[i] = `${hash}:${n}`;
  }
  return out;
}

const levelRank: Record<SarifLevel, number> = { error: 0, warning: 1, note: 2 };

export function formatSarif(report: LintReport, opts: SarifOptions): string {
  const rules = opts.rules.map(descriptor);
  const index = new Map(opts.rules.map((r, i) => [r.code, i]));
  const maxResults = Math.max(0, opts.maxResults ?? MAX_SARIF_RESULTS);

  type Pending = { level: SarifLevel; order: number; result: Record<string, unknown> };
  const pending: Pending[] = [];
  for (const file of report.files) {
    const prints = fingerprints(file.path, file.diagnostics);
    file.diagnostics.forEach((d, i) => {
      let ruleIndex = index.get(d.code);
      if (ruleIndex === undefined) {
        ruleIndex = rules.length;
        index.set(d.code, ruleIndex);
        rules.push(unknownDescriptor(d, opts.toolVersion));
      }
      const level = sarifLevel(d.severity);
      pending.push({
        level,
        order: pending.length,
        result: {
          ruleId: d.code,
          ruleIndex,
          level,
          message: { text: nonEmpty(d.message, `${d.code} ${d.rule}`) },
          locations: [{ physicalLocation: { artifactLocation: artifactUri(file.path), region: region(d) } }],
          partialFingerprints: { [FINGERPRINT_KEY]: prints[i] },
        },
      });
    });
  }

  let kept = pending;
  if (pending.length > maxResults) {
    kept = [...pending].sort((a, b) => levelRank[a.level] - levelRank[b.level] || a.order - b.order).slice(0, maxResults);
    kept.sort((a, b) => a.order - b.order);
  }
  const dropped = pending.length - kept.length;

  const semver = /^\d+\.\d+\.\d+(?:-[0-9A-Za-z.-]+)?(?:\+[0-9A-Za-z.-]+)?$/.test(opts.toolVersion);
  const driver: Record<string, unknown> = {
    name: 'llmops',
    ...(opts.informationUri ? { informationUri: opts.informationUri } : {}),
    version: opts.toolVersion,
    ...(semver ? { semanticVersion: opts.toolVersion } : {}),
    rules,
  };
  const srcRoot = opts.srcRoot
    ? { uri: pathToFileURL(opts.srcRoot).href.replace(/\/?$/, '/') }
    : { description: { text: 'The directory llmops lint ran in; result paths are relative to it.' } };
  const run: Record<string, unknown> = {
    tool: { driver },
    ...(dropped
      ? {
          invocations: [
            {
              executionSuccessful: true,
              toolExecutionNotifications: [
                {
                  level: 'warning',
                  message: { text: `${dropped} of ${pending.length} results were left out to stay within ${maxResults} results per run (GitHub code scanning's limit); the least severe went first.` },
                },
              ],
            },
          ],
        }
      : {}),
    originalUriBaseIds: { '%SRCROOT%': srcRoot },
    results: kept.map((p) => p.result),
    columnKind: 'utf16CodeUnits',
  };
  return JSON.stringify({ $schema: SARIF_SCHEMA, version: SARIF_VERSION, runs: [run] }, null, 2) + '\n';
}
