/**
 * One fixture per rule, named by its code (test/fixtures/rules/LDxxx.jsonl): the diagnostics of the
 * whole rule set and the text after applying that rule's fixes are compared with a snapshot
 * (LDxxx.expected.json). `UPDATE_SNAPSHOTS=1 npm run test:unit` rewrites the snapshots; review the diff.
 */
import { strict as assert } from 'node:assert';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { rules } from '../../src/core/lint/rules/registry';
import { defaultLintConfig, type Edit, type Finding } from '../../src/core/lint/types';
import { OverlapBuilder } from '../../src/core/quality/recordText';
import { config as ld035Config } from '../fixtures/rules/LD035.config';
import { detectRecordFormat, formatNames } from '../../src/core/dataset/formats';
import { rewriteAsJsonl } from '../../src/core/lint/jsonl';
import { lintDatasetBytes } from '../../src/runtime/datasetFiles';

const dir = join(__dirname, '..', 'fixtures', 'rules');
const update = process.env.UPDATE_SNAPSHOTS === '1';

/** Applies non-overlapping edits (0-based line/column) to a text with LF line ends. */
export function applyEdits(text: string, edits: Edit[]): string {
  const lines = text.split('\n');
  const offsetOf = (line: number, col: number) => lines.slice(0, line).reduce((n, l) => n + l.length + 1, 0) + col;
  const sorted = [...edits].sort((a, b) => offsetOf(b.startLine, b.startColumn) - offsetOf(a.startLine, a.startColumn));
  let out = text;
  let lastStart = Infinity;
  for (const e of sorted) {
    const s = offsetOf(e.startLine, e.startColumn);
    const end = offsetOf(e.endLine, e.endColumn);
    if (end > lastStart) continue; // overlapping: the user would apply it in a second round
    out = out.slice(0, s) + e.newText + out.slice(end);
    lastStart = s;
  }
  return out;
}

function fixedText(text: string, findings: Finding[], code: string): string | undefined {
  const mine = findings.filter((f) => f.code === code && f.fix);
  if (!mine.length) return undefined;
  if (mine.some((f) => f.fix!.rewrite === 'jsonl-from-concatenated')) return rewriteAsJsonl(text) ?? undefined;
  return applyEdits(text, mine.flatMap((f) => f.fix!.edits ?? []));
}

describe('rule fixtures (snapshots)', () => {
  const files = readdirSync(dir).filter((f) => /^LD\d{3}\.jsonl$/.test(f));

  it('every rule has a fixture named by its code', () => {
    const missing = rules.map((r) => r.code).filter((c) => !files.includes(`${c}.jsonl`));
    assert.deepEqual(missing, [], `rules without a fixture in test/fixtures/rules: ${missing.join(', ')}`);
  });

  for (const file of files) {
    const code = file.slice(0, 5);
    it(`${code} ${rules.find((r) => r.code === code)?.name ?? '(unregistered)'}`, () => {
      const bytes = readFileSync(join(dir, file));
      // A fixture may come with the training file it is compared with (train-eval-overlap).
      const trainFile = join(dir, `${code}.train.jsonl`);
      let config = defaultLintConfig;
      if (existsSync(trainFile)) {
        const b = new OverlapBuilder();
        for (const line of readFileSync(trainFile, 'utf8').split('\n')) b.add(line, (v) => formatNames[detectRecordFormat(v)]);
        config = { ...defaultLintConfig, role: 'eval', overlap: { id: 'fixture', trainPath: `${code}.train.jsonl`, records: b.records, prompts: b.prompts } };
      }
      if (code === 'LD035') config = ld035Config;
      const lint = lintDatasetBytes(bytes, config);
      const diagnostics = lint.findings.map((f) => ({
        code: f.code,
        rule: f.rule,
        severity: f.severity,
        at: `${f.line + 1}:${f.column + 1}-${f.endLine + 1}:${f.endColumn + 1}`,
        message: f.message,
        ...(f.fix ? { fix: `${f.fix.title} (${f.fix.applicability})` } : {}),
      }));
      assert.ok(diagnostics.some((d) => d.code === code), `${file} does not trigger ${code}`);
      const fixed = fixedText(bytes.toString('utf8'), lint.findings, code);
      const actual = { format: lint.format, records: lint.records, diagnostics, ...(fixed !== undefined ? { fixed: fixed.split('\n') } : {}) };
      const snap = join(dir, `${code}.expected.json`);
      if (update || !existsSync(snap)) writeFileSync(snap, JSON.stringify(actual, null, 2) + '\n');
      assert.deepEqual(actual, JSON.parse(readFileSync(snap, 'utf8')));
      if (fixed !== undefined) {
        const again = lintDatasetBytes(Buffer.from(fixed)).findings.filter((f) => f.code === code && f.fix);
        assert.deepEqual(again, [], `applying the ${code} fixes leaves fixable ${code} findings`);
      }
    });
  }
});
