import { strict as assert } from 'node:assert';
import { findJsonSyntaxError, parseConcatenatedJson } from '../../src/core/dataset/jsonSyntax';

/** Column (1-based) and message fragment of the first syntax error. */
function err(s: string): { col: number; msg: string } | null {
  const e = findJsonSyntaxError(s);
  return e && { col: e.offset + 1, msg: e.message };
}

describe('JSON syntax scanner', () => {
  it('accepts every value JSON.parse accepts', () => {
    for (const s of ['{}', '[]', '{"a":[1,-2.5e+3,true,false,null,"x\\n\\u00e9"]}', '  {"a" : {"b": []}}  \r', '"s"', '0', '[[[]]]']) {
      JSON.parse(s);
      assert.equal(findJsonSyntaxError(s), null, s);
    }
  });

  const cases: [string, number, RegExp][] = [
    ['{"a": 1,}', 8, /Trailing comma before '}'/],
    ['[1, 2,]', 6, /Trailing comma before '\]'/],
    ['{"a": 1 "b": 2}', 9, /Expected ',' or '}' after property value, found '"'/],
    ["{'a': 1}", 2, /double quotes, not single quotes/],
    ['{a: 1}', 2, /Property names must be double-quoted strings: "a"/],
    ['{"a" 1}', 6, /Expected ':' after property name/],
    ['{"a": "unterminated}', 7, /Unterminated string starting at column 7/],
    ['{"a": True}', 7, /'True' is not valid JSON: use lowercase true/],
    ['{"a": None}', 7, /use lowercase null/],
    ['{"a": NaN}', 7, /NaN is not valid JSON/],
    ['{"a": 01}', 7, /leading zeros/],
    ['{"a": 1.}', 7, /digit must follow the decimal point/],
    ['{"a": "x\ty"}', 9, /Unescaped control character \(tab\)/],
    ['{"a": "\\x"}', 8, /Invalid escape sequence '\\x'/],
    ['{"a": "\\u12G4"}', 8, /Invalid \\u escape/],
    ['{"a": 1} {"b": 2}', 10, /Unexpected content after the JSON value/],
    ['{"a": 1', 8, /the object opened at column 1 is not closed/],
    ['{"a": [1, 2}', 12, /array opened at column 7 must be closed with '\]'/],
    ['// note\n{}', 1, /Comments are not allowed/],
    ['{"a": 1} // trailing', 10, /Comments are not allowed/],
    ['', 1, /expected a JSON value/],
    ['[1,,2]', 4, /empty element or doubled comma/],
    ['{"a": undefined}', 7, /undefined is not valid JSON/],
  ];
  for (const [input, col, msg] of cases) {
    it(`locates: ${JSON.stringify(input)}`, () => {
      assert.throws(() => JSON.parse(input));
      const e = err(input);
      assert.ok(e, 'expected an error');
      assert.match(e.msg, msg);
      assert.equal(e.col, col);
    });
  }

  it('survives deep nesting without recursion', () => {
    const deep = '['.repeat(200_000) + ']'.repeat(199_999);
    const e = findJsonSyntaxError(deep);
    assert.ok(e);
    assert.match(e.message, /not closed/);
  });

  it('splits concatenated pretty-printed values', () => {
    const text = '{\n  "a": 1\n}\n{\n  "b": [\n    2\n  ]\n}\n';
    const r = parseConcatenatedJson(text);
    assert.ok(r);
    assert.deepEqual(r.values, [{ a: 1 }, { b: [2] }]);
    assert.equal(parseConcatenatedJson('{\n "a": 1\n}\n{oops}'), null);
  });
});
