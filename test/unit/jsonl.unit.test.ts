import { strict as assert } from 'node:assert';
import { lintJsonlText as lintWith, rewriteAsJsonl } from '../../src/core/lint/jsonl';
import { defaultLintConfig } from '../../src/core/lint/types';

/** The syntax-level behaviour, without the file-size advice that every tiny test file would get. */
const lintJsonlText = (text: string) => lintWith(text, { ...defaultLintConfig, rules: { 'too-few-examples': 'off' } });

const chat = (u: string) => JSON.stringify({ messages: [{ role: 'user', content: u }, { role: 'assistant', content: 'ok' }] });

describe('JSONL syntax lint (batch)', () => {
  it('counts records, detects the format, reports nothing on a clean file', () => {
    const r = lintJsonlText([chat('a'), chat('b'), chat('c')].join('\n') + '\n');
    assert.equal(r.records, 3);
    assert.equal(r.format, 'openai-chat');
    assert.deepEqual(r.findings, []);
  });

  it('reports each broken line at its exact line and column', () => {
    const text = [chat('a'), '{"messages": [}', chat('c'), '{"prompt": "x",}'].join('\n');
    const r = lintJsonlText(text);
    assert.equal(r.records, 2);
    assert.deepEqual(
      r.findings.map((f) => [f.rule, f.line, f.column]),
      [
        ['invalid-json', 1, 14],
        ['invalid-json', 3, 14],
      ],
    );
    assert.match(r.findings[1].message, /^Invalid JSON: Trailing comma/);
    assert.equal(r.findings[0].severity, 'error');
    assert.equal(r.findings[0].code, 'LD001');
  });

  it('handles blank lines, CRLF and a BOM', () => {
    const text = '\ufeff' + chat('a') + '\r\n\r\n   \r\n' + chat('b') + '\r\n{"x": 1,}\r\n';
    const r = lintJsonlText(text);
    assert.equal(r.records, 2);
    assert.equal(r.findings.length, 1);
    assert.deepEqual([r.findings[0].line, r.findings[0].column], [4, 7]);
  });

  it('recognises pretty-printed objects as one finding with a safe fix', () => {
    const records = [{ prompt: 'a', completion: 'b' }, { prompt: 'c', completion: 'd' }];
    const text = records.map((r) => JSON.stringify(r, null, 2)).join('\n') + '\n';
    const r = lintJsonlText(text);
    assert.equal(r.findings.length, 1);
    const f = r.findings[0];
    assert.equal(f.rule, 'multiline-json-not-jsonl');
    assert.equal(f.line, 0);
    assert.match(f.message, /2 pretty-printed JSON values spread over 8 lines/);
    assert.equal(f.fix?.applicability, 'safe');
    assert.equal(r.records, 2);
    assert.equal(r.format, 'trl-prompt-completion');
    const fixed = rewriteAsJsonl(text)!;
    assert.equal(fixed, records.map((x) => JSON.stringify(x)).join('\n') + '\n');
    assert.deepEqual(lintJsonlText(fixed).findings, []);
  });

  it('recognises a pretty-printed array of records', () => {
    const text = JSON.stringify([{ text: 'a' }, { text: 'b' }, { text: 'c' }], null, 2);
    const r = lintJsonlText(text);
    assert.equal(r.findings.length, 1);
    assert.match(r.findings[0].message, /one JSON array of 3 records/);
    assert.equal(rewriteAsJsonl(text), '{"text":"a"}\n{"text":"b"}\n{"text":"c"}\n');
  });

  it('does not call a file with stray broken lines pretty-printed', () => {
    const r = lintJsonlText('{"a": 1\n{"b": 2\n');
    assert.equal(r.findings.length, 2);
    assert.ok(r.findings.every((f) => f.rule === 'invalid-json'));
  });

  it('flags an empty file', () => {
    for (const text of ['', '\n\n  \n']) {
      const r = lintJsonlText(text);
      assert.equal(r.records, 0);
      assert.deepEqual(r.findings.map((f) => [f.rule, f.severity]), [['empty-file', 'warning']]);
    }
  });

  it('reports a mixed-format file as mixed', () => {
    const lines = [chat('a'), JSON.stringify({ prompt: 'p', chosen: 'c', rejected: 'r' }), JSON.stringify({ instruction: 'i', input: '', output: 'o' })];
    assert.equal(lintJsonlText(lines.join('\n')).format, 'mixed');
  });

  it('lints a 50 MB single line without blowing up and caps the underline', () => {
    const big = '{"text": "' + 'x'.repeat(50 * 1024 * 1024) + '"';
    const t0 = performance.now();
    const r = lintJsonlText(big);
    const ms = performance.now() - t0;
    assert.equal(r.findings.length, 1);
    const f = r.findings[0];
    assert.match(f.message, /not closed/);
    assert.ok(f.endColumn - f.column <= 200);
    assert.ok(ms < 5000, `took ${ms} ms`);
  });
});
