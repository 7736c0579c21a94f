import { locateJsonPath } from '../../dataset/jsonLocate';
import { isObj } from '../../dataset/messages';
import { findJsonSyntaxError } from '../../dataset/jsonSyntax';
import type { JsonPath, RecordContext, RecordRule, Target } from '../types';

/**
 * Calls `visit` for each tool call with a `function` object in the OpenAI message lists of a record
 * (chat `messages`; preference `input.messages` and both outputs). `visit` should be a module-level
 * function: a closure made per record would allocate on every line.
 */
export function forEachToolCall(
  record: Record<string, unknown>,
  ctx: RecordContext,
  visit: (fn: Record<string, unknown>, list: JsonPath, i: number, j: number, record: Record<string, unknown>, ctx: RecordContext) => void,
): void {
  if (ctx.format === 'openai-chat') {
    visitList(record.messages, CHAT, record, ctx, visit);
  } else if (ctx.format === 'openai-preference') {
    const input = record.input;
    if (isObj(input)) visitList(input.messages, INPUT, record, ctx, visit);
    visitList(record.preferred_output, PREFERRED, record, ctx, visit);
    visitList(record.non_preferred_output, NON_PREFERRED, record, ctx, visit);
  }
}

const CHAT: JsonPath = ['messages'];
const INPUT: JsonPath = ['input', 'messages'];
const PREFERRED: JsonPath = ['preferred_output'];
const NON_PREFERRED: JsonPath = ['non_preferred_output'];

function visitList(
  list: unknown,
  at: JsonPath,
  record: Record<string, unknown>,
  ctx: RecordContext,
  visit: (fn: Record<string, unknown>, list: JsonPath, i: number, j: number, record: Record<string, unknown>, ctx: RecordContext) => void,
): void {
  if (!Array.isArray(list)) return;
  for (let i = 0; i < list.length; i++) {
    const m = list[i];
    if (!isObj(m)) continue;
    const calls = m.tool_calls;
    if (!Array.isArray(calls)) continue;
    for (let j = 0; j < calls.length; j++) {
      const c = calls[j];
      if (isObj(c) && isObj(c.function)) visit(c.function, at, i, j, record, ctx);
    }
  }
}

/** The path of a call's `function.arguments`. */
export const argumentsPath = (list: JsonPath, i: number, j: number): JsonPath => [...list, i, 'tool_calls', j, 'function', 'arguments'];

/** How findings name a call: `"create_task"`, or its position when it has no name. */
export const callLabel = (fn: Record<string, unknown>, j: number): string => (typeof fn.name === 'string' ? JSON.stringify(fn.name) : `#${j + 1}`);

/** What `parseToolArguments` returns for text that is not JSON. */
export const NOT_JSON: unique symbol = Symbol('not JSON');

// Three rules parse the same arguments string of a record in turn; a few entries cover the calls of
// one record. The strings are the record's own, so a hit is usually a pointer comparison.
const MEMO = 8;
const memoText: (string | null)[] = new Array<string | null>(MEMO).fill(null);
const memoValue: unknown[] = new Array<unknown>(MEMO).fill(undefined);
let memoNext = 0;

/** `JSON.parse(text)`, or NOT_JSON; recent results are remembered (treat them as read-only). */
export function parseToolArguments(text: string): unknown {
  for (let k = 0; k < MEMO; k++) if (memoText[k] === text) return memoValue[k];
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    value = NOT_JSON;
  }
  memoText[memoNext] = text;
  memoValue[memoNext] = value;
  memoNext = (memoNext + 1) % MEMO;
  return value;
}

/**
 * The line range of `decoded[from, to)` inside the JSON string literal at `literal` (an offset of
 * `text`): escapes make the two differ (`\"` is one character of the value, two of the line).
 */
function literalRange(text: string, literal: number, from: number, to: number): { offset: number; length: number } {
  let raw = literal + 1;
  let start = raw;
  for (let d = 0; d < to; d++) {
    if (d === from) start = raw;
    raw += text.charCodeAt(raw) !== 0x5c ? 1 : text.charCodeAt(raw + 1) === 0x75 ? 6 : 2;
  }
  if (from >= to) start = raw;
  return { offset: start, length: raw - start };
}

export const toolArgumentsNotJson: RecordRule = {
  code: 'LD017',
  name: 'tool-arguments-not-json',
  scope: 'record',
  defaultSeverity: 'error',
  summary: "A tool call's `function.arguments` string is not valid JSON.",
  formats: ['openai-chat', 'openai-preference'],
  doc: {
    what: "Flags a tool call whose `function.arguments` string does not parse as JSON, and says where in the arguments it breaks (single quotes, a trailing comma, a Python `True`, text cut off).",
    why: 'The model learns to produce exactly these characters. Broken arguments teach it to emit calls that the application cannot parse, and OpenAI rejects a training file whose arguments are not valid JSON.',
    example: '{"role": "assistant", "tool_calls": [{"id": "call_1", "type": "function", "function": {"name": "create_task", "arguments": "{\'title\': \'Pay rent\'}"}}]}',
    useInstead: '{"role": "assistant", "tool_calls": [{"id": "call_1", "type": "function", "function": {"name": "create_task", "arguments": "{\\"title\\": \\"Pay rent\\"}"}}]}',
  },
  check(record, ctx) {
    forEachToolCall(record, ctx, checkCall);
  },
};

function checkCall(fn: Record<string, unknown>, list: JsonPath, i: number, j: number, _record: Record<string, unknown>, ctx: RecordContext): void {
  const args = fn.arguments;
  if (typeof args !== 'string' || parseToolArguments(args) !== NOT_JSON) return;
  const path = argumentsPath(list, i, j);
  const label = callLabel(fn, j);
  if (args.trim() === '') {
    ctx.report(toolArgumentsNotJson, { path }, `The arguments of tool call ${label} are empty: a call without arguments still passes a JSON object, "{}"`);
    return;
  }
  const err = findJsonSyntaxError(args);
  if (!err) {
    ctx.report(toolArgumentsNotJson, { path }, `The arguments of tool call ${label} are not valid JSON`);
    return;
  }
  // Underline the offending characters inside the string, not the whole arguments value.
  let target: Target = { path };
  const r = locateJsonPath(ctx.text, path);
  if (r && ctx.text.charCodeAt(r.offset) === 0x22) target = literalRange(ctx.text, r.offset, err.offset, Math.min(args.length, err.offset + Math.max(err.length, 1)));
  // The scanner counts columns of its input, here the arguments, not of the line.
  const inArgs = err.message.replace(/\bcolumn (\d+)/g, 'character $1 of the arguments');
  const where = inArgs === err.message ? ` (at character ${err.offset + 1} of the arguments)` : '';
  ctx.report(toolArgumentsNotJson, target, `The arguments of tool call ${label} are not valid JSON: ${inArgs}${where}`);
}
