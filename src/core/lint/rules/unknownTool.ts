import { isObj } from '../../dataset/messages';
import { closestName } from '../../quality/jsonSchemaLite';
import type { JsonPath, RecordContext, RecordRule } from '../types';
import { forEachToolCall } from './toolArgumentsNotJson';

/** The record's `tools` (chat: top level; preference: `input.tools`); undefined when it declares none. */
export function declaredTools(record: Record<string, unknown>, format: string): unknown {
  if (format === 'openai-preference') return isObj(record.input) ? record.input.tools : undefined;
  return record.tools;
}

/** The declared function called `name` (`{"type": "function", "function": {...}}`, or the flat Responses API shape). */
export function findDeclaredFunction(tools: readonly unknown[], name: string): Record<string, unknown> | undefined {
  for (let k = 0; k < tools.length; k++) {
    const t = tools[k];
    if (!isObj(t)) continue;
    const fn = isObj(t.function) ? t.function : t;
    if (fn.name === name) return fn;
  }
  return undefined;
}

function declaredNames(tools: readonly unknown[]): string[] {
  const names: string[] = [];
  for (const t of tools) {
    if (!isObj(t)) continue;
    const fn = isObj(t.function) ? t.function : t;
    if (typeof fn.name === 'string') names.push(fn.name);
  }
  return names;
}

export const unknownTool: RecordRule = {
  code: 'LD020',
  name: 'unknown-tool',
  scope: 'record',
  defaultSeverity: 'error',
  summary: 'A tool call names a function the record does not declare in `tools` (or the record declares no tools).',
  fix: { title: 'Call the declared tool with the closest name', applicability: 'unsafe' },
  formats: ['openai-chat', 'openai-preference'],
  doc: {
    what: "Flags an assistant tool call whose `function.name` is not one of the functions in the record's `tools` (`input.tools` for preference data). A record that calls tools but declares none is flagged once, on the record, naming the first tool it calls.",
    why: 'The model learns to call tools from the declarations it sees next to the conversation. A call to an undeclared name teaches it to invent tools (often a renamed or since-removed one), and a record without declarations teaches calls it cannot relate to a schema.',
    example: '{"messages": [..., {"role": "assistant", "tool_calls": [{"id": "call_1", "type": "function", "function": {"name": "add_task", "arguments": "{}"}}]}], "tools": [{"type": "function", "function": {"name": "create_task", ...}}]}',
    useInstead: '{"messages": [..., {"role": "assistant", "tool_calls": [{"id": "call_1", "type": "function", "function": {"name": "create_task", "arguments": "{}"}}]}], "tools": [{"type": "function", "function": {"name": "create_task", ...}}]}',
  },
  check(record, ctx) {
    missingReported = false;
    forEachToolCall(record, ctx, checkCall);
  },
};

// Set per record: "no tools declared" is said once, on the first call.
let missingReported = false;

// Files without tools say it on every line: one message string per tool name, not one per line.
const noToolsMessages = new Map<string, string>();

function noToolsMessage(name: string | null, format: string): string {
  const key = `${format}\u0000${name ?? ''}`;
  let m = noToolsMessages.get(key);
  if (m === undefined) {
    const where = format === 'openai-preference' ? '"input.tools"' : '"tools"';
    m = `This record calls ${name === null ? 'a tool' : `"${name}"`} but declares no tools: add ${where} with the function definitions, so the model sees what it may call and with which parameters`;
    if (noToolsMessages.size >= 256) noToolsMessages.clear();
    noToolsMessages.set(key, m);
  }
  return m;
}

function checkCall(fn: Record<string, unknown>, list: JsonPath, i: number, j: number, record: Record<string, unknown>, ctx: RecordContext): void {
  const name = fn.name;
  const tools = declaredTools(record, ctx.format);
  if (tools === undefined) {
    if (missingReported) return;
    missingReported = true;
    // On the record, not its first call: the record lacks a key, and data without tools usually lacks
    // it on every line, where locating each call would cost more than linting the line.
    ctx.report(unknownTool, { offset: 0, length: ctx.text.length }, noToolsMessage(typeof name === 'string' ? name : null, ctx.format));
    return;
  }
  if (!Array.isArray(tools)) return;
  if (typeof name !== 'string') {
    ctx.report(unknownTool, { path: [...list, i, 'tool_calls', j, 'function'] }, `Tool call ${j + 1} has no function name`);
    return;
  }
  if (findDeclaredFunction(tools, name)) return;
  const names = declaredNames(tools);
  const hint = closestName(name, names);
  const path = [...list, i, 'tool_calls', j, 'function', 'name'];
  const declared = names.length === 0 ? 'its "tools" list is empty' : `it declares ${names.slice(0, 8).join(', ')}${names.length > 8 ? `, … (${names.length} tools)` : ''}`;
  ctx.report(
    unknownTool,
    { path },
    `Tool "${name}" is not declared in this record's tools: ${declared}${hint ? ` (did you mean "${hint}"?)` : ''}`,
    hint ? { title: `Call "${hint}" instead`, applicability: 'unsafe', edits: [{ target: { path }, newText: JSON.stringify(hint) }] } : undefined,
  );
}
