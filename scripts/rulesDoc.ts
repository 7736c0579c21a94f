// Writes docs/rules.md from the rule registry (the text `llmops explain` prints), or with --check
// fails when the committed page is stale. Usage: npx tsx scripts/rulesDoc.ts [--check]
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { rules } from '../src/core/lint/rules/registry';
import { rulesMarkdown } from '../src/core/lint/rulesDoc';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const file = join(root, 'docs', 'rules.md');
const text = rulesMarkdown(rules);
const current = existsSync(file) ? readFileSync(file, 'utf8') : undefined;
if (process.argv.includes('--check')) {
  if (current !== text) {
    console.error('docs/rules.md is stale: run npm run docs');
    process.exit(1);
  }
} else if (current !== text) {
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, text);
  console.log(`wrote docs/rules.md (${rules.length} rules)`);
}
