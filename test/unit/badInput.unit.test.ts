/** Hostile and unusual input for the full rule set: clear findings, no crash, no hang. */
import { strict as assert } from 'node:assert';
import { appendFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { lintJsonlText } from '../../src/core/lint/jsonl';
import { JsonlDocument } from '../../src/core/lint/jsonlDocument';
import { defaultLintConfig } from '../../src/core/lint/types';
import { lintDatasetFile } from '../../src/runtime/datasetFiles';

const cfg = { ...defaultLintConfig, rules: { 'too-few-examples': 'off' as const } };
const chat = (u: string) => JSON.stringify({ messages: [{ role: 'user', content: u }, { role: 'assistant', content: 'ok' }] });

describe('bad input (full rule set)', function () {
  this.timeout(30_000);

  it('100,000 levels of nesting: a finding, no stack overflow', () => {
    const deep = '{"messages": ' + '['.repeat(100_000) + ']'.repeat(100_000) + '}';
    const r = lintJsonlText(deep + '\n' + '{"x": ' + '['.repeat(100_000) + '\n', cfg);
    assert.ok(r.findings.some((f) => f.line === 1 && f.rule === 'invalid-json'));
    assert.ok(r.findings.some((f) => f.line === 0));
  });

  it('numbers beyond double range and NaN/Infinity', () => {
    const r = lintJsonlText(['{"prompt": "p", "completion": "c", "score": 1e400}', '{"text": NaN}', '{"text": -Infinity}', '{"text": 123456789012345678901234567890}'].join('\n'), cfg);
    const byLine = (l: number) => r.findings.filter((f) => f.line === l).map((f) => f.rule);
    // 1e400 and a 30-digit integer are valid JSON (they parse to Infinity / a rounded double).
    assert.ok(byLine(0).includes('unknown-key') && !byLine(0).includes('invalid-json'));
    assert.ok(!byLine(3).includes('invalid-json'));
    assert.match(r.findings.find((f) => f.line === 1)!.message, /NaN is not valid JSON/);
    assert.match(r.findings.find((f) => f.line === 2)!.message, /-Infinity is not valid JSON/);
  });

  it('lone surrogates in strings are valid JSON and do not break the rules', () => {
    const r = lintJsonlText([chat('\\ud800 broken pair'), chat('emoji \ud83d\ude00 ok'), chat('raw lone \ud800 surrogate')].join('\n'), cfg);
    assert.equal(r.records, 3);
    assert.ok(r.findings.every((f) => f.rule !== 'invalid-json'));
  });

  it('10 MB string values', () => {
    const big = 'x '.repeat(5 * 1024 * 1024);
    const t0 = performance.now();
    const r = lintJsonlText([chat(big), chat('small')].join('\n'), cfg);
    assert.equal(r.records, 2);
    assert.ok(performance.now() - t0 < 10_000);
  });

  it('CRLF, CR and mixed line endings agree between the CLI path and the editor', () => {
    const text = chat('a') + '\r\n' + chat('b') + '\n' + '{"bad": ,}\r\n' + chat('c') + '\r\n';
    const batch = lintJsonlText(text, cfg);
    assert.equal(batch.records, 3);
    const inv = batch.findings.filter((f) => f.rule === 'invalid-json');
    assert.deepEqual(inv.map((f) => [f.line, f.column]), [[2, 8]]);
    const doc = new JsonlDocument(text);
    const ed = doc.settle().findings.filter((f) => f.rule === 'invalid-json');
    assert.deepEqual(ed.map((f) => [f.line, f.column]), [[2, 8]]);
  });

  it('a file that grows on disk while it is being linted gives a consistent result', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'llmops-grow-'));
    try {
      const file = join(dir, 'growing.jsonl');
      const lines = Array.from({ length: 40_000 }, (_, i) => chat(`q${i} ` + 'w'.repeat(200)));
      writeFileSync(file, lines.join('\n') + '\n');
      const pending = lintDatasetFile(file);
      // Append while the stream reads: what was read is linted; nothing throws, the file is not touched by us.
      for (let i = 0; i < 20; i++) appendFileSync(file, chat(`late ${i}`) + '\n');
      const r = await pending;
      assert.ok(r.records >= 40_000 && r.records <= 40_020, String(r.records));
      assert.ok(r.findings.every((f) => f.rule !== 'invalid-json'));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
