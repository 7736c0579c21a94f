import type { JsonPath, RecordContext, RecordRule } from '../types';
import { argumentsPath, callLabel, forEachToolCall, NOT_JSON, parseToolArguments } from './toolArgumentsNotJson';

/**
 * True when `decoded` (parsed arguments) is itself the text of a JSON object or array, possibly
 * encoded more than once more.
 */
export function holdsJsonText(decoded: unknown): decoded is string {
  if (typeof decoded !== 'string') return false;
  let v: unknown = decoded;
  for (let depth = 0; depth < 4 && typeof v === 'string'; depth++) {
    const s = v.trim();
    const c = s.charCodeAt(0);
    if (c !== 0x7b && c !== 0x5b && c !== 0x22) return false;
    v = parseToolArguments(s);
    if (v === NOT_JSON) return false;
  }
  return typeof v === 'object' && v !== null;
}

export const toolArgumentsDoubleEncoded: RecordRule = {
  code: 'LD018',
  name: 'tool-arguments-double-encoded',
  scope: 'record',
  defaultSeverity: 'error',
  summary: 'Tool call arguments are JSON-encoded twice: they decode to a string, not an object.',
  fix: { title: 'Decode the arguments once', applicability: 'safe' },
  formats: ['openai-chat', 'openai-preference'],
  doc: {
    what: 'Flags `function.arguments` that parse to a JSON string which itself holds a JSON object or array — the result of calling `json.dumps` / `JSON.stringify` on text that was already JSON.',
    why: 'The model learns to produce the escaped form (`"{\\"title\\": ...}"` inside the string), and the application that parses the call gets a string where it expects an object.',
    example: '"function": {"name": "create_task", "arguments": "\\"{\\\\\\"title\\\\\\": \\\\\\"Pay rent\\\\\\"}\\""}',
    useInstead: '"function": {"name": "create_task", "arguments": "{\\"title\\": \\"Pay rent\\"}"}',
  },
  check(record, ctx) {
    forEachToolCall(record, ctx, checkCall);
  },
};

function checkCall(fn: Record<string, unknown>, list: JsonPath, i: number, j: number, _record: Record<string, unknown>, ctx: RecordContext): void {
  const args = fn.arguments;
  // Only a JSON string literal can decode to a string: skip the parse for everything else.
  if (typeof args !== 'string' || firstNonSpace(args) !== 0x22) return;
  const decoded = parseToolArguments(args);
  if (!holdsJsonText(decoded)) return;
  const path = argumentsPath(list, i, j);
  ctx.report(toolArgumentsDoubleEncoded, { path }, `The arguments of tool call ${callLabel(fn, j)} are JSON-encoded twice: they decode to a string holding JSON, not to an object`, {
    title: toolArgumentsDoubleEncoded.fix!.title,
    applicability: 'safe',
    edits: [{ target: { path }, newText: JSON.stringify(decoded) }],
  });
}

function firstNonSpace(s: string): number {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c !== 0x20 && c !== 0x0a && c !== 0x0d && c !== 0x09) return c;
  }
  return -1;
}
