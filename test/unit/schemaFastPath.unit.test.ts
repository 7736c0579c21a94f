import { strict as assert } from 'node:assert';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { detectRecordFormat, formatNames, type FormatName } from '../../src/core/dataset/formats';
import { validateRecord } from '../../src/core/dataset/schemas';
import { coveredElsewhere, fastCheck } from '../../src/core/lint/rules/schemaMismatch';

/** Random small damage to a record: wrong types, removed and added keys, anywhere in the tree. */
function mutate(v: unknown, rnd: () => number): unknown {
  const copy = JSON.parse(JSON.stringify(v));
  const nodes: [Record<string, unknown> | unknown[], string | number][] = [];
  const walk = (x: unknown) => {
    if (Array.isArray(x)) {
      x.forEach((c, i) => {
        nodes.push([x, i]);
        walk(c);
      });
    } else if (x && typeof x === 'object') {
      for (const k of Object.keys(x)) {
        nodes.push([x as Record<string, unknown>, k]);
        walk((x as Record<string, unknown>)[k]);
      }
    }
  };
  walk(copy);
  if (!nodes.length) return copy;
  const [parent, key] = nodes[Math.floor(rnd() * nodes.length)];
  const choices: unknown[] = [42, null, 'text', true, [], {}, -1.5];
  const r = rnd();
  if (r < 0.6) (parent as Record<string | number, unknown>)[key] = choices[Math.floor(rnd() * choices.length)];
  else if (r < 0.8 && !Array.isArray(parent)) delete (parent as Record<string, unknown>)[key as string];
  else if (!Array.isArray(parent)) (parent as Record<string, unknown>).unexpected_key = 1;
  return copy;
}

describe('schema-mismatch fast path', () => {
  it('never accepts a record for which the rule would report a zod problem', () => {
    const root = join(__dirname, '..', '..', 'examples', 'task-assistant', 'data');
    const records = ['train', 'eval', 'preferences'].flatMap((f) => readFileSync(join(root, `${f}.jsonl`), 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l)));
    records.push({ prompt: 'p', completion: 'c', label: true }, { text: 't' }, { instruction: 'i', input: '', output: 'o' }, { conversations: [{ from: 'human', value: 'h' }, { from: 'gpt', value: 'g' }] }, { prompt: 'p', chosen: 'c', rejected: 'r' }, { prompt: 'p', completions: ['a'], labels: [true] });
    let seed = 11;
    const rnd = () => ((seed = (seed * 16807) % 2147483647) / 2147483647);
    let checked = 0;
    let invalid = 0;
    for (let k = 0; k < 3000; k++) {
      const base = records[k % records.length];
      const format = formatNames[detectRecordFormat(base)] as FormatName;
      const v = mutate(base, rnd);
      // Problems other rules report (content, roles, tool calls, …) are not this rule's to find.
      const zodProblems = validateRecord(format, v).filter((p) => !coveredElsewhere(p.path, p.code, p.message));
      const fast = fastCheck(format);
      assert.ok(fast, `no compiled schema for ${format}`);
      if (zodProblems.length) {
        invalid++;
        assert.equal(fast.isValid(v), false, `fast path accepted what zod rejects (${format}): ${JSON.stringify(zodProblems[0])} in ${JSON.stringify(v).slice(0, 300)}`);
      }
      checked++;
    }
    assert.ok(invalid > 150, `only ${invalid} of ${checked} mutations were invalid`);
  });
});
