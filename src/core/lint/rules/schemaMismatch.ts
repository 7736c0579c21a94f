import { z } from 'zod';
import { formatSchemas, validateRecord } from '../../dataset/schemas';
import { CompiledSchema } from '../../quality/jsonSchemaLite';
import type { FormatName } from '../../dataset/formats';
import type { RecordRule } from '../types';

const compiled = new Map<string, CompiledSchema | null>();

/** The JSON Schema of a format (as written to schemas/), compiled once; null if it cannot be. */
export function fastCheck(format: FormatName): CompiledSchema | null {
  let c = compiled.get(format);
  if (c === undefined) {
    try {
      c = new CompiledSchema(z.toJSONSchema(formatSchemas[format], { target: 'draft-7', io: 'input', reused: 'inline', unrepresentable: 'any' }));
    } catch {
      c = null;
    }
    compiled.set(format, c);
  }
  return c;
}

/**
 * What the specific rules already say better (unknown keys, roles, weights, tool arguments, missing
 * content); the schema only reports the rest, so one mistake gives one diagnostic.
 */
export function coveredElsewhere(path: readonly (string | number)[], code: string, message: string): boolean {
  const last = path[path.length - 1];
  if (code === 'unrecognized_keys') return true;
  // Missing preference answers: missing-rejected.
  if (/^Missing required key "(chosen|rejected|preferred_output|non_preferred_output)"/.test(message)) return true;
  // Empty lists: empty-messages.
  if (code === 'too_small' && ['messages', 'conversations', 'prompt', 'completion', 'chosen', 'rejected', 'preferred_output', 'non_preferred_output'].includes(String(last))) return true;
  if (last === 'role' || last === 'weight' || last === 'arguments' || last === 'from') return true;
  if (path.includes('tool_calls') || path.includes('tools')) return true;
  if (/content/i.test(String(last)) || /"content"/.test(message)) return true;
  return false;
}

export const schemaMismatch: RecordRule = {
  code: 'LD038',
  name: 'schema-mismatch',
  scope: 'record',
  defaultSeverity: 'error',
  summary: "A field has the wrong type or value for the record's format.",
  doc: {
    what: "Validates each record against its format's schema (the JSON Schemas in schemas/ are generated from the same definitions) and reports wrong types, missing required fields and invalid values that no more specific rule covers — e.g. a KTO `label` that is the string \"yes\", a `completion` that is a number.",
    why: 'Trainers cast columns by the first rows they read: a wrong type further down fails the job late, or is coerced silently ("false" is a truthy string).',
    example: '{"prompt": "Add a task", "completion": "Added.", "label": "yes"}',
    useInstead: '{"prompt": "Add a task", "completion": "Added.", "label": true}',
  },
  check(record, ctx) {
    if (ctx.format === 'unknown') return;
    // Nearly every record is valid: a compiled check of the generated JSON Schema answers that
    // several times faster than zod, which then only runs to explain an invalid record.
    if (fastCheck(ctx.format as FormatName)?.isValid(record)) return;
    for (const p of validateRecord(ctx.format as FormatName, record)) {
      if (coveredElsewhere(p.path, p.code, p.message)) continue;
      ctx.report(schemaMismatch, { path: p.path }, p.message);
    }
  },
};
