import { strict as assert } from 'node:assert';
import { lintJsonlText } from '../../src/core/lint/jsonl';
import { JsonlDocument } from '../../src/core/lint/jsonlDocument';

const rec = (i: number) => JSON.stringify({ messages: [{ role: 'user', content: `q${i}` }, { role: 'assistant', content: `a${i}` }] });

function positions(doc: JsonlDocument) {
  return doc.lint().findings.map((f) => [f.rule, f.line, f.column]);
}

describe('JsonlDocument (incremental)', () => {
  it('re-parses only the changed line on a keystroke', () => {
    const lines = Array.from({ length: 10_000 }, (_, i) => rec(i));
    const doc = new JsonlDocument(lines.join('\n') + '\n');
    assert.equal(doc.lint().records, 10_000);
    assert.equal(doc.lastReparsed, 10_000);
    // Type a stray character into line 5000.
    doc.applyChange('x', { start: { line: 5000, character: 1 }, end: { line: 5000, character: 1 } });
    const r = doc.lint();
    assert.equal(doc.lastReparsed, 1);
    assert.equal(r.records, 9_999);
    assert.deepEqual(positions(doc), [['invalid-json', 5000, 1]]);
    // Delete it again: the diagnostic clears.
    doc.applyChange('', { start: { line: 5000, character: 1 }, end: { line: 5000, character: 2 } });
    assert.deepEqual(doc.lint().findings, []);
    assert.equal(doc.lastReparsed, 1);
  });

  it('keeps line numbers right when lines are inserted and removed', () => {
    const doc = new JsonlDocument([rec(0), '{bad', rec(2)].join('\n'));
    assert.deepEqual(positions(doc), [['invalid-json', 1, 1]]);
    doc.applyChange(rec(9) + '\n' + rec(10) + '\n', { start: { line: 0, character: 0 }, end: { line: 0, character: 0 } });
    assert.deepEqual(positions(doc), [['invalid-json', 3, 1]]);
    assert.equal(doc.lastReparsed, 3);
    doc.applyChange('', { start: { line: 0, character: 0 }, end: { line: 2, character: 0 } });
    assert.deepEqual(positions(doc), [['invalid-json', 1, 1]]);
  });

  it('matches the batch linter after random edits', () => {
    let seed = 42;
    const rand = (n: number) => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff) % n);
    const pieces = ['{', '}', '"', ',', '\n', 'x', ':', ' ', '\r\n', '[', ']', '1'];
    let text = Array.from({ length: 50 }, (_, i) => rec(i)).join('\n');
    const doc = new JsonlDocument(text);
    for (let k = 0; k < 400; k++) {
      const lines = text.split(/\r\n|\r|\n/);
      const line = rand(lines.length);
      const ch = rand(lines[line].length + 1);
      const endLine = Math.min(lines.length - 1, line + (rand(4) === 0 ? 1 : 0));
      const endCh = endLine === line ? Math.min(lines[line].length, ch + rand(3)) : rand(lines[endLine].length + 1);
      const insert = rand(3) === 0 ? '' : pieces[rand(pieces.length)];
      // Apply to the reference text through offsets.
      const offsetOf = (l: number, c: number) => {
        let off = 0;
        const re = /\r\n|\r|\n/g;
        for (let i = 0; i < l; i++) {
          const m = re.exec(text)!;
          off = m.index + m[0].length;
        }
        return off + c;
      };
      text = text.slice(0, offsetOf(line, ch)) + insert + text.slice(offsetOf(endLine, endCh));
      doc.applyChange(insert, { start: { line, character: ch }, end: { line: endLine, character: endCh } });
      assert.equal(doc.getText(), text.replace(/\r\n|\r/g, '\n'), `text diverged at edit ${k}`);
      const a = doc.settle();
      const b = lintJsonlText(text.replace(/\r\n|\r/g, '\n'));
      assert.deepEqual(a.findings, b.findings, `findings diverged at edit ${k}`);
      assert.equal(a.records, b.records);
    }
  });

  it('replaces the whole text on a full change', () => {
    const doc = new JsonlDocument('{bad');
    assert.equal(doc.lint().findings.length, 1);
    doc.applyChange(rec(1) + '\n');
    assert.deepEqual(doc.lint().findings, []);
    assert.equal(doc.lint().records, 1);
  });
});
