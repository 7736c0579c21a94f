import { compileSchema, type CompiledSchema } from '../../quality/jsonSchemaLite';
import type { JsonPath, RecordContext, RecordRule } from '../types';
import { holdsJsonText } from './toolArgumentsDoubleEncoded';
import { argumentsPath, forEachToolCall, NOT_JSON, parseToolArguments } from './toolArgumentsNotJson';
import { declaredTools, findDeclaredFunction } from './unknownTool';

/** Violations reported per call: past a few, the arguments are simply wrong and more lines add noise. */
const MAX_PER_CALL = 5;

export const toolArgumentsSchema: RecordRule = {
  code: 'LD021',
  name: 'tool-arguments-schema',
  scope: 'record',
  defaultSeverity: 'error',
  summary: "A tool call's arguments do not match the declared function's `parameters` JSON Schema.",
  formats: ['openai-chat', 'openai-preference'],
  doc: {
    what: "Validates the parsed `function.arguments` of each tool call against the `parameters` JSON Schema of the function the record declares under that name: types, required and unexpected properties, enums, string patterns and lengths, number ranges, array sizes, anyOf / oneOf / allOf, and date / date-time / email formats. Each violation names its place inside the arguments.",
    why: 'The model learns argument shapes from these examples. A missing required field, a value outside an enum or a wrongly typed number teaches calls that the real tool rejects — and with `strict` function calling, calls the API cannot even produce.',
    example: '"function": {"name": "create_task", "arguments": "{\\"priority\\": \\"critical\\"}"}  with parameters requiring "title" and priority in low / medium / high',
    useInstead: '"function": {"name": "create_task", "arguments": "{\\"title\\": \\"Renew the domain\\", \\"priority\\": \\"high\\"}"}',
  },
  check(record, ctx) {
    forEachToolCall(record, ctx, checkCall);
  },
};

// The calls of one record often share a function: skip re-keying the same parameters object.
let lastParameters: unknown = null;
let lastCompiled: CompiledSchema | null = null;

function checkCall(fn: Record<string, unknown>, list: JsonPath, i: number, j: number, record: Record<string, unknown>, ctx: RecordContext): void {
  const name = fn.name;
  if (typeof name !== 'string') return;
  const tools = declaredTools(record, ctx.format);
  if (!Array.isArray(tools)) return;
  const decl = findDeclaredFunction(tools, name);
  const parameters = decl?.parameters;
  if (typeof parameters !== 'object' || parameters === null) return;

  const raw = fn.arguments;
  let args: unknown;
  if (typeof raw === 'string') {
    args = parseToolArguments(raw);
    // Broken or double-encoded arguments are other rules' findings.
    if (args === NOT_JSON || holdsJsonText(args)) return;
  } else if (typeof raw === 'object' && raw !== null) args = raw;
  else return;

  if (parameters !== lastParameters) {
    lastCompiled = compileSchema(parameters, name);
    lastParameters = parameters;
  }
  const schema = lastCompiled!;
  if (schema.isValid(args)) return;
  const path = argumentsPath(list, i, j);
  for (const v of schema.validate(args, { max: MAX_PER_CALL, root: 'the arguments' })) {
    ctx.report(toolArgumentsSchema, { path }, `Arguments of "${name}": ${v.message}`);
  }
}
