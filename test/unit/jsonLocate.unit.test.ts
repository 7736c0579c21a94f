import { strict as assert } from 'node:assert';
import { locateJsonPath, locateJsonPaths, type JsonPath, type JsonRange } from '../../src/core/dataset/jsonLocate';
import { rng } from '../random';

const slice = (text: string, r: JsonRange | null): string | null => (r ? text.slice(r.offset, r.offset + r.length) : null);
const at = (text: string, path: JsonPath, part: 'key' | 'value' = 'value'): string | null => slice(text, locateJsonPath(text, path, part));


/** Writes a key the way a hand-edited or foreign-tool file might: some characters as \u escapes. */
function spellKey(key: string, r: () => number): string {
  let out = '"';
  for (const ch of key) {
    if (ch === '"' || ch === '\\') out += '\\' + ch;
    else if (r() < 0.3) out += '\\u' + ch.charCodeAt(0).toString(16).padStart(4, '0');
    else out += ch;
  }
  return out + '"';
}

/** Random JSON text with random whitespace, duplicate keys and escaped keys. */
function randomJson(r: () => number, depth: number): string {
  const ws = (): string => [' ', '', '', '\t', '\n', '  '][Math.floor(r() * 6)];
  const x = r();
  if (depth <= 0 || x < 0.35) {
    const scalars = ['1', '-2.5e3', 'true', 'false', 'null', '"s"', '"a\\"b"', '"\\\\"', '"x\\\\\\"y"', '"[{]}"', '"é\\u00e9"', '""'];
    return scalars[Math.floor(r() * scalars.length)];
  }
  const n = Math.floor(r() * 4);
  if (x < 0.65) {
    const items: string[] = [];
    for (let k = 0; k < n; k++) items.push(ws() + randomJson(r, depth - 1) + ws());
    return '[' + items.join(',') + ws() + ']';
  }
  const keys = ['a', 'b', 'ab', 'A', '0', 'quo"te', 'back\\slash', 'ü', ''];
  const members: string[] = [];
  for (let k = 0; k < n + (r() < 0.3 ? 2 : 0); k++) {
    const key = keys[Math.floor(r() * keys.length)];
    members.push(ws() + spellKey(key, r) + ws() + ':' + ws() + randomJson(r, depth - 1) + ws());
  }
  return '{' + members.join(',') + ws() + '}';
}

function allPaths(v: unknown, prefix: (string | number)[], out: (string | number)[][]): void {
  out.push(prefix);
  if (Array.isArray(v)) v.forEach((e, i) => allPaths(e, [...prefix, i], out));
  else if (v && typeof v === 'object') for (const k of Object.keys(v)) allPaths((v as Record<string, unknown>)[k], [...prefix, k], out);
}

function get(v: unknown, path: JsonPath): unknown {
  for (const s of path) v = (v as Record<string, unknown>)[s as string];
  return v;
}

describe('locateJsonPath', () => {
  const line = '{"messages": [{"role": "user", "content": "hi"}, {"role" :"assistant","content":"a \\"quoted\\" word"}], "n": 3}';

  it('finds values and keys', () => {
    assert.equal(at(line, ['messages', 1, 'role']), '"assistant"');
    assert.equal(at(line, ['messages', 1, 'role'], 'key'), '"role"');
    assert.equal(at(line, ['messages', 1, 'content']), '"a \\"quoted\\" word"');
    assert.equal(at(line, ['messages', 0]), '{"role": "user", "content": "hi"}');
    assert.equal(at(line, ['n']), '3');
    assert.equal(at(line, []), line);
    assert.equal(at('  [1, 2]  ', []), '[1, 2]');
  });

  it('gives the value for an array element or the root when asked for the key', () => {
    assert.equal(at(line, ['messages', 1], 'key'), '{"role" :"assistant","content":"a \\"quoted\\" word"}');
    assert.equal(at(line, [], 'key'), line);
  });

  it('returns null for missing paths and type mismatches', () => {
    assert.equal(locateJsonPath(line, ['nope']), null);
    assert.equal(locateJsonPath(line, ['messages', 2]), null);
    assert.equal(locateJsonPath(line, ['messages', 'x']), null);
    assert.equal(locateJsonPath(line, ['n', 0]), null);
    assert.equal(locateJsonPath(line, ['messages', -1]), null);
    assert.equal(locateJsonPath(line, ['messages', 0.5]), null);
    assert.equal(locateJsonPath('{}', ['a']), null);
    assert.equal(locateJsonPath('[]', [0]), null);
  });

  it('matches keys by their decoded text', () => {
    const t = '{"\\u0061b": 1, "q\\"k": 2, "b\\\\s": 3, "\\n": 4, "\\\\n": 5, "\\ud83d\\ude00": 6}';
    assert.equal(at(t, ['ab']), '1');
    assert.equal(at(t, ['ab'], 'key'), '"\\u0061b"');
    assert.equal(at(t, ['q"k']), '2');
    assert.equal(at(t, ['b\\s']), '3');
    assert.equal(at(t, ['\n']), '4');
    assert.equal(at(t, ['\\n']), '5');
    assert.equal(at(t, ['😀']), '6');
    // The raw spelling of an escaped key is not its name.
    assert.equal(locateJsonPath(t, ['\\u0061b']), null);
  });

  it('takes the last of duplicate keys, as JSON.parse does', () => {
    const t = '{"a": {"x": 1}, "b": 0, "a": {"y": 2}}';
    assert.equal(at(t, ['a']), '{"y": 2}');
    assert.equal(at(t, ['a', 'y']), '2');
    assert.equal(locateJsonPath(t, ['a', 'x']), null);
    assert.deepEqual(locateJsonPaths(t, [['a', 'x'], ['a', 'y'], ['a']]).map((r) => slice(t, r)), [null, '2', '{"y": 2}']);
  });

  it('matches numbers against object keys and canonical index strings against arrays', () => {
    assert.equal(at('{"0": "zero"}', [0]), '"zero"');
    assert.equal(at('["a", "b"]', ['1']), '"b"');
    assert.equal(locateJsonPath('["a", "b"]', ['01']), null);
  });

  it('skips strings with brackets, escaped quotes and backslash runs', () => {
    const t = '{"a": "}]\\\\", "b": "\\\\\\"{", "c": ["]", {"d": "}"}], "e": true}';
    assert.deepEqual(JSON.parse(t).e, true);
    assert.equal(at(t, ['e']), 'true');
    assert.equal(at(t, ['c', 1, 'd']), '"}"');
  });

  it('skips a BOM and any JSON whitespace', () => {
    const t = '\ufeff \t{\r\n"a"\t:\n[ 1 ,\t2 ] }';
    assert.equal(at(t, ['a', 1]), '2');
  });

  it('survives 100,000 levels of nesting', () => {
    const depth = 100_000;
    const arr = '['.repeat(depth) + '7' + ']'.repeat(depth);
    assert.equal(at(arr, new Array(depth).fill(0)), '7');
    assert.equal(at('{"skip": ' + arr + ', "k": 1}', ['k']), '1');
    const obj = '{"a":'.repeat(depth) + 'null' + '}'.repeat(depth);
    assert.equal(at(obj, new Array(depth).fill('a')), 'null');
    assert.equal(slice(obj, locateJsonPaths(obj, [new Array(depth).fill('a')])[0]), 'null');
  });

  it('skips a 10 MB string quickly', () => {
    const big = 'x'.repeat(10_000_000);
    const t = `{"text": "${big}", "tricky": "${'\\\\'.repeat(1000)}\\"${big.slice(0, 1_000_000)}", "id": 42}`;
    const t0 = performance.now();
    assert.equal(at(t, ['id']), '42');
    assert.equal(locateJsonPath(t, ['text'])?.length, big.length + 2);
    assert.ok(performance.now() - t0 < 500, 'took too long');
  });

  it('returns null rather than throwing on text that is not valid JSON', () => {
    for (const bad of ['', '{', '{"a"', '{"a":', '{"a": 1', '["x', '{"a" 1}', '{a: 1}', '[1,', '}']) {
      assert.doesNotThrow(() => locateJsonPath(bad, ['a']));
      assert.doesNotThrow(() => locateJsonPaths(bad, [['a'], [0], []]));
    }
    assert.equal(locateJsonPath('{"a": 1', ['a']), null);
  });

  it('agrees with JSON.parse on random documents (single and batched)', () => {
    const r = rng(12345);
    let checked = 0;
    for (let doc = 0; doc < 600; doc++) {
      const text = randomJson(r, 5);
      const parsed: unknown = JSON.parse(text);
      const paths: (string | number)[][] = [];
      allPaths(parsed, [], paths);
      const missing: (string | number)[][] = paths.map((p) => [...p, 'missing']);
      const batch = locateJsonPaths(text, [...paths, ...missing]);
      const batchKeys = locateJsonPaths(text, paths, 'key');
      paths.forEach((p, k) => {
        const got = slice(text, locateJsonPath(text, p));
        assert.ok(got !== null, `${text} @ ${JSON.stringify(p)}`);
        assert.deepEqual(JSON.parse(got), get(parsed, p), `${text} @ ${JSON.stringify(p)}`);
        assert.equal(slice(text, batch[k]), got, `batch ${text} @ ${JSON.stringify(p)}`);
        const key = slice(text, locateJsonPath(text, p, 'key'));
        assert.equal(slice(text, batchKeys[k]), key);
        const parent = p.length ? get(parsed, p.slice(0, -1)) : null;
        if (parent && !Array.isArray(parent)) assert.equal(JSON.parse(key!), p[p.length - 1]);
        else assert.equal(key, got);
        checked++;
      });
      missing.forEach((p, k) => {
        const v = get(parsed, p.slice(0, -1));
        const exists = v !== null && typeof v === 'object' && !Array.isArray(v) && 'missing' in v;
        if (!exists) {
          assert.equal(locateJsonPath(text, p), null);
          assert.equal(batch[paths.length + k], null);
        }
      });
    }
    assert.ok(checked > 3000, `only ${checked} paths checked`);
  });
});
