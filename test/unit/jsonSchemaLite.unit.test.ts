import { strict as assert } from 'node:assert';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { formatSchemas } from '../../src/core/dataset/schemas';
import { CompiledSchema, compileSchema } from '../../src/core/quality/jsonSchemaLite';
import { rng } from '../random';

// The generated `isValid` must agree with the tree walk that explains failures: differential tests
// over random schemas (every keyword, discriminated unions, recursion) and values shaped like them.

const KEYS = ['a', 'b', 'role', 'type', 'constructor', 'x-1'];
const TYPES = ['string', 'integer', 'number', 'boolean', 'null', 'array', 'object'];
const PRIMS: unknown[] = ['a', 'b', '', 'user', 0, 1, -1, 2.5, true, false, null, '2025-06-16', 'ana@example.com', '🚀🚀'];

/** `$ref: '#'` only below a value-consuming keyword: a self-reference at the same level recurses exponentially. */
function randomSchema(r: () => number, depth: number, inValue = false): unknown {
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(r() * xs.length)];
  if (r() < 0.05) return r() < 0.7;
  const s: Record<string, unknown> = {};
  const p = (x: number) => r() < x;
  if (p(0.6)) s.type = p(0.8) ? pick(TYPES) : [pick(TYPES), pick(TYPES)];
  if (p(0.1)) s.nullable = true;
  if (p(0.1)) s.enum = p(0.8) ? [pick(PRIMS), pick(PRIMS)] : [{ a: 1 }, [1, 2], pick(PRIMS)];
  if (p(0.08)) s.const = p(0.8) ? pick(PRIMS) : { a: [1] };
  if (p(0.15)) s.minLength = pick([0, 1, 2, 3]);
  if (p(0.1)) s.maxLength = pick([0, 1, 2, 5]);
  if (p(0.08)) s.pattern = pick(['^a', 'b$', '^[\\w\\-]+$', '(']);
  if (p(0.08)) s.format = pick(['date', 'date-time', 'email', 'uri']);
  if (p(0.1)) s.minimum = pick([0, 1, -1]);
  if (p(0.1)) s.maximum = pick([0, 1, 2]);
  if (p(0.05)) s.exclusiveMinimum = pick([0, true, 1]);
  if (p(0.05)) s.exclusiveMaximum = pick([2, true, false]);
  if (p(0.06)) s.multipleOf = pick([0.5, 2, 0]);
  if (depth < 4) {
    if (p(0.35)) s.properties = Object.fromEntries(KEYS.filter(() => p(0.35)).map((k) => [k, randomSchema(r, depth + 1, true)]));
    if (p(0.25)) s.required = KEYS.filter(() => p(0.3));
    if (p(0.25)) s.additionalProperties = p(0.5) ? false : p(0.5) ? {} : randomSchema(r, depth + 1, true);
    if (p(0.08)) s.patternProperties = { '^x-': randomSchema(r, depth + 1, true) };
    if (p(0.06)) s.minProperties = pick([1, 2]);
    if (p(0.06)) s.maxProperties = pick([0, 1, 2]);
    if (p(0.3)) s.items = randomSchema(r, depth + 1, true);
    if (p(0.06)) s.prefixItems = [randomSchema(r, depth + 1, true), randomSchema(r, depth + 1, true)];
    if (p(0.06)) s.minItems = pick([1, 2]);
    if (p(0.06)) s.maxItems = pick([0, 1, 3]);
    if (p(0.05)) s.uniqueItems = true;
    if (p(0.08)) s.allOf = [randomSchema(r, depth + 1, inValue), randomSchema(r, depth + 1, inValue)];
    if (p(0.1)) s.anyOf = [randomSchema(r, depth + 1, inValue), randomSchema(r, depth + 1, inValue), randomSchema(r, depth + 1, inValue)];
    if (p(0.1)) s.oneOf = [randomSchema(r, depth + 1, inValue), randomSchema(r, depth + 1, inValue)];
    if (p(0.05)) s.not = randomSchema(r, depth + 1, inValue);
    if (p(0.08)) {
      // A discriminated union, as zod writes message types.
      s.oneOf = ['user', 'tool', 'constructor'].filter(() => p(0.8)).map((tag) => ({
        type: 'object',
        properties: { role: { type: 'string', const: tag }, ...(p(0.5) ? { a: randomSchema(r, depth + 1, inValue) } : {}) },
        required: p(0.9) ? ['role'] : [],
        additionalProperties: p(0.5) ? false : undefined,
      }));
    }
    if (inValue && p(0.1)) s.$ref = '#';
  }
  return s;
}

function randomValue(r: () => number, depth: number): unknown {
  const x = r();
  if (depth > 3 || x < 0.45) return PRIMS[Math.floor(r() * PRIMS.length)];
  if (x < 0.65) return Array.from({ length: Math.floor(r() * 4) }, () => randomValue(r, depth + 1));
  const o: Record<string, unknown> = {};
  for (const k of KEYS) if (r() < 0.35) o[k] = k === 'role' && r() < 0.7 ? ['user', 'tool', 'constructor', 'x'][Math.floor(r() * 4)] : randomValue(r, depth + 1);
  return o;
}

/** A value built to match (or nearly match) `schema`: random values alone rarely pass deep checks. */
function valueLike(schema: unknown, r: () => number, depth: number): unknown {
  if (typeof schema !== 'object' || schema === null || depth > 4 || r() < 0.1) return randomValue(r, depth);
  const s = schema as Record<string, unknown>;
  if ('const' in s && r() < 0.8) return s.const;
  if (Array.isArray(s.enum) && r() < 0.8) return s.enum[Math.floor(r() * s.enum.length)];
  const options = (s.oneOf ?? s.anyOf) as unknown[] | undefined;
  if (options && r() < 0.6) return valueLike(options[Math.floor(r() * options.length)], r, depth + 1);
  const type = Array.isArray(s.type) ? s.type[0] : s.type;
  if (type === 'object' || s.properties) {
    const o: Record<string, unknown> = {};
    for (const [k, sub] of Object.entries((s.properties as Record<string, unknown>) ?? {})) if (r() < 0.8) o[k] = valueLike(sub, r, depth + 1);
    if (r() < 0.2) o['x-1'] = randomValue(r, depth + 1);
    return o;
  }
  if (type === 'array' || s.items) return Array.from({ length: Math.floor(r() * 3) }, () => valueLike(s.items, r, depth + 1));
  return randomValue(r, depth);
}

describe('jsonSchemaLite generated checks', () => {
  it('agree with the tree walk on random schemas and values', () => {
    const r = rng(2025);
    let valid = 0;
    let total = 0;
    for (let i = 0; i < 800; i++) {
      const schema = randomSchema(r, 0);
      const gen = new CompiledSchema(schema, { generate: true });
      const walk = new CompiledSchema(schema, { generate: false });
      assert.ok(gen.generated, `no code generated for ${JSON.stringify(schema)}`);
      assert.ok(!walk.generated);
      for (let j = 0; j < 16; j++) {
        const v = j % 2 ? randomValue(r, 0) : valueLike(schema, r, 0);
        const expected = walk.isValid(v);
        assert.equal(gen.isValid(v), expected, `schema ${JSON.stringify(schema)}\nvalue ${JSON.stringify(v)}`);
        assert.equal(gen.validate(v).length === 0, expected);
        total++;
        if (expected) valid++;
      }
    }
    assert.ok(valid > total * 0.15 && valid < total * 0.85, `${valid} of ${total} valid: too one-sided to compare`);
  });

  it('agree on the format schemas, for real and damaged records', () => {
    const root = join(__dirname, '..', '..', 'examples', 'task-assistant', 'data');
    const records = ['train', 'eval', 'preferences'].flatMap((f) => readFileSync(join(root, `${f}.jsonl`), 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l)));
    const r = rng(5);
    for (const [name, schema] of Object.entries(formatSchemas)) {
      const json = z.toJSONSchema(schema, { target: 'draft-7', io: 'input', reused: 'inline', unrepresentable: 'any' });
      const gen = new CompiledSchema(json, { generate: true });
      const walk = new CompiledSchema(json, { generate: false });
      assert.ok(gen.generated, name);
      for (const rec of records) {
        for (let k = 0; k < 8; k++) {
          const v = JSON.parse(JSON.stringify(rec));
          // Damage one message or field.
          const msgs = v.messages ?? v.prompt ?? v.conversations;
          const target = Array.isArray(msgs) && msgs.length ? msgs[Math.floor(r() * msgs.length)] : v;
          const key = Object.keys(target)[Math.floor(r() * Object.keys(target).length)] ?? 'x';
          if (k > 0) target[key] = k % 3 === 0 ? undefined : randomValue(r, 2);
          if (k % 3 === 0) delete target[key];
          assert.equal(gen.isValid(v), walk.isValid(v), `${name}: ${JSON.stringify(v).slice(0, 400)}`);
        }
      }
    }
  });

  it('count depth past the limit on recursive schemas as the walk does', () => {
    const deep = JSON.parse('['.repeat(5000) + ']'.repeat(5000));
    for (const schema of [{ type: 'array', items: { $ref: '#' } }, { anyOf: [{ type: 'array', items: { $ref: '#' } }, { type: 'string' }] }, { $ref: '#' }]) {
      const gen = new CompiledSchema(schema, { generate: true });
      assert.equal(gen.isValid(deep), new CompiledSchema(schema, { generate: false }).isValid(deep));
      assert.equal(gen.isValid([[['x']]]), new CompiledSchema(schema, { generate: false }).isValid([[['x']]]));
    }
    // A chain of 300 nested arrays: the value is accepted below the 256th level, as the walk does.
    const chain = JSON.parse('{"items":'.repeat(300) + '{"type":"string"}' + '}'.repeat(300));
    const v = JSON.parse('['.repeat(290) + '1' + ']'.repeat(290));
    assert.equal(new CompiledSchema(chain, { generate: true }).isValid(v), new CompiledSchema(chain, { generate: false }).isValid(v));
  });

  it('generates code lazily by default, and compileSchema hint hits stay correct', () => {
    const s = new CompiledSchema({ type: 'string' });
    assert.ok(!s.generated);
    for (let i = 0; i < 20; i++) assert.ok(s.isValid('x'));
    assert.ok(s.generated);
    assert.ok(!s.isValid(1));
    const params = () => ({ type: 'object', properties: { title: { type: 'string' }, tags: { type: 'array', items: { type: 'string' } } }, required: ['title'] });
    const first = compileSchema(params(), 'lazy_hint_tool');
    for (let i = 0; i < 40; i++) assert.equal(compileSchema(params(), 'lazy_hint_tool'), first);
    const other = { ...params(), required: ['tags'] };
    assert.notEqual(compileSchema(other, 'lazy_hint_tool'), first);
    assert.notEqual(compileSchema({ ...params(), extra: 1 }, 'lazy_hint_tool'), first, 'an extra key is a different schema');
    assert.equal(compileSchema(params(), 'lazy_hint_tool'), first);
  });
});
