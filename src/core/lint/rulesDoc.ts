import type { Rule } from './types';

/** One rule's documentation as `llmops explain` prints it (plain text). */
export function explainText(rule: Rule): string {
  const d = rule.doc;
  const indent = (s: string): string => s.split('\n').map((l) => '  ' + l).join('\n');
  return (
    `${rule.code} ${rule.name} (${rule.defaultSeverity})\n${rule.summary}\n\n` +
    `What it does\n  ${d.what}\n\nWhy\n  ${d.why}\n\nExample\n${indent(d.example)}\n\nUse instead\n${indent(d.useInstead)}\n` +
    (rule.fix ? `\nFix (${rule.fix.applicability}): ${rule.fix.title}\n` : '')
  );
}

/** The rules reference page (docs/rules.md), from the same text as `llmops explain`. */
export function rulesMarkdown(rules: readonly Rule[]): string {
  const out = [
    '# Dataset lint rules',
    '',
    '<!-- Generated from src/core/lint/rules/ by scripts/rulesDoc.ts; do not edit. `llmops explain <code|name>` prints the same text. -->',
    '',
    'Severities are defaults; change them per project in `llmops.yaml`:',
    '',
    '```yaml',
    'lint:',
    '  rules:',
    '    near-duplicate: warning   # or LD027: warning; off | info | warning | error',
    '```',
    '',
    '| code | name | severity | scope | fix | summary |',
    '| --- | --- | --- | --- | --- | --- |',
    ...rules.map((r) => `| ${r.code} | [\`${r.name}\`](#${r.code.toLowerCase()}-${r.name}) | ${r.defaultSeverity} | ${(r as { scope?: string }).scope ?? 'syntax'} | ${r.fix ? r.fix.applicability : '—'} | ${r.summary} |`),
    '',
  ];
  for (const r of rules) {
    out.push(
      `## ${r.code} ${r.name}`,
      '',
      `${r.summary} Default severity: **${r.defaultSeverity}**.${r.fix ? ` Fix (${r.fix.applicability}): ${r.fix.title}.` : ''}`,
      '',
      '**What it does.** ' + r.doc.what,
      '',
      '**Why.** ' + r.doc.why,
      '',
      '**Example**',
      '',
      '```jsonl',
      r.doc.example,
      '```',
      '',
      '**Use instead**',
      '',
      '```jsonl',
      r.doc.useInstead,
      '```',
      '',
    );
  }
  return out.join('\n');
}
