import { strict as assert } from 'node:assert';
import { normalizedLineHash, textHash } from '../../src/core/quality/recordText';
import { randomVocabulary, rng } from '../random';

/** The normalisation spelled out: the hash must tell lines apart exactly when these differ. */
function normalized(text: string): string {
  let out = '';
  let inString = false;
  let pending = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === ' ' || c === '\t' || c === '\n' || c === '\r') {
      if (inString) pending = true;
      continue;
    }
    if (c === '"') {
      inString = !inString;
      pending = false;
    }
    if (pending) out += ' ';
    pending = false;
    out += c;
    if (c === '\\' && inString) out += text[++i] ?? '';
  }
  return out;
}

/** JSON text of a random value with random whitespace between tokens and in strings. */
function randomJson(r: () => number, depth: number): string {
  const ws = () => ['', '', ' ', '  ', '\n', '\t '][Math.floor(r() * 6)];
  const str = () => JSON.stringify(Array.from({ length: Math.floor(r() * 6) }, () => ['a', 'b', ' ', '  ', '"', '\\', '\n', 'é', '😀', 'ü'][Math.floor(r() * 10)]).join(''));
  const x = r();
  if (depth > 2 || x < 0.4) return [str(), '1', '1.0', 'true', 'null', '-2e3'][Math.floor(r() * 6)];
  if (x < 0.7) return `[${ws()}${Array.from({ length: Math.floor(r() * 3) }, () => randomJson(r, depth + 1)).join(`${ws()},${ws()}`)}${ws()}]`;
  return `{${ws()}${Array.from({ length: Math.floor(r() * 3) }, () => `${str()}${ws()}:${ws()}${randomJson(r, depth + 1)}`).join(`${ws()},${ws()}`)}${ws()}}`;
}

describe('normalizedLineHash', () => {
  const h = normalizedLineHash;

  it('ignores whitespace between tokens, collapses runs inside strings, drops it at string ends', () => {
    const compact = '{"a":[1,2,{"b":"x y"}],"c":null}';
    assert.equal(h('{ "a" : [ 1 ,\t2, {"b": "x y"} ] ,\r\n "c":null }'), h(compact));
    assert.equal(h('{"a":[1,2,{"b":"x   \t y"}],"c":null}'), h(compact));
    assert.equal(h('{"a":[1,2,{"b":"x y  "}],"c":null}'), h(compact));
    assert.equal(h('{"k":" lead"}'), h('{"k":"   lead"}'), 'a leading run is one space');
    assert.equal(JSON.stringify(JSON.parse(compact), null, 2).length > compact.length, true);
    assert.equal(h(JSON.stringify(JSON.parse(compact), null, 2)), h(compact));
  });

  it('tells apart what whitespace normalisation does not make equal', () => {
    assert.notEqual(h('{"b":"x y"}'), h('{"b":"xy"}'));
    assert.notEqual(h('{"k":" lead"}'), h('{"k":"lead"}'));
    assert.notEqual(h('{"a":1}'), h('{"a":2}'));
    assert.notEqual(h('{"ab":"c"}'), h('{"a":"bc"}'));
    assert.notEqual(h('{"a":"x\\" y"}'), h('{"a":"x\\"y"}'));
    // An escaped quote does not end the string: the space after it is content.
    assert.equal(h('{"a":"x\\"  y"}'), h('{"a":"x\\" y"}'));
    assert.notEqual(h('{"a":"x\\n"}'), h('{"a":"x\\t"}'));
    assert.notEqual(h('{"a":"x y"}'), h('{"a":"x\u00a0y"}'), 'only JSON whitespace is normalised');
  });

  it('hashes long lines in pieces as if whole, escapes and multi-byte characters across piece ends', () => {
    for (const filler of ['a', 'é', '😀', '\\n', ' ']) {
      const body = filler.repeat(40_000);
      const line = `{"k":"${body}x"}`;
      const spaced = `{ "k" : "${body.replace(/ +/g, '   ')}x" }`;
      assert.equal(h(spaced), h(line), filler);
      assert.notEqual(h(`{"k":"${body}y"}`), h(line), filler);
    }
    const escapes = `{"k":"${'\\"'.repeat(30_000)}"}`;
    assert.doesNotThrow(() => JSON.parse(escapes));
    assert.notEqual(h(escapes), h(escapes.replace(/\\"/g, '\\" ')));
  });

  it('agrees with the normalisation spelled out on random JSON with random whitespace', () => {
    const r = rng(17);
    const byNorm = new Map<string, number>();
    const byHash = new Map<number, string>();
    for (let i = 0; i < 20_000; i++) {
      const text = randomJson(r, 0);
      JSON.parse(text);
      const norm = normalized(text);
      const hash = h(text);
      const seen = byNorm.get(norm);
      if (seen !== undefined) assert.equal(hash, seen, text);
      byNorm.set(norm, hash);
      const other = byHash.get(hash);
      if (other !== undefined) assert.equal(norm, other, `collision: ${text}`);
      byHash.set(hash, norm);
    }
    assert.ok(byNorm.size > 5000 && byNorm.size < 19_000, `${byNorm.size} distinct: too few repeats to compare`);
  });

  it('is a 53-bit integer', () => {
    for (const s of ['', '{}', '{"a":"b"}', '[1,2,3]']) {
      const v = h(s);
      assert.ok(Number.isSafeInteger(v) && v >= 0, `${s}: ${v}`);
    }
  });

  it('has no collisions among 300,000 similar records', () => {
    const r = rng(3);
    const vocab = randomVocabulary(r, 2000, 2, 8);
    const seen = new Set<number>();
    for (let i = 0; i < 300_000; i++) {
      const words = Array.from({ length: 3 + (i % 7) }, () => vocab[Math.floor(r() * vocab.length)]).join(' ');
      const line = `{"messages":[{"role":"user","content":"${words} ${i}"},{"role":"assistant","content":"ok ${i % 100}"}]}`;
      seen.add(h(line));
    }
    assert.equal(seen.size, 300_000);
  });

  it('textHash compares texts with whitespace runs collapsed and ends trimmed', () => {
    assert.equal(textHash('  add a   task\n'), textHash('add a task'));
    assert.notEqual(textHash('add a task'), textHash('add a tusk'));
  });
});
