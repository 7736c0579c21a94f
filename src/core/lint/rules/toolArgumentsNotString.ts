import type { JsonPath, RecordContext, RecordRule } from '../types';
import { argumentsPath, callLabel, forEachToolCall } from './toolArgumentsNotJson';

export const toolArgumentsNotString: RecordRule = {
  code: 'LD019',
  name: 'tool-arguments-not-string',
  scope: 'record',
  defaultSeverity: 'error',
  summary: 'Tool call `function.arguments` is an object (or another non-string) where OpenAI wants a JSON string.',
  fix: { title: 'Encode the arguments as a JSON string', applicability: 'safe' },
  formats: ['openai-chat', 'openai-preference'],
  doc: {
    what: 'Flags `function.arguments` that is a JSON object, array, number, boolean or null instead of a string holding JSON. Objects and arrays get a fix that encodes them.',
    why: 'OpenAI fine-tuning takes arguments exactly as the API returns them, as a string, and rejects the file otherwise. (Chat templates for open models often take an object; that is the TRL formats, not this one.)',
    example: '"function": {"name": "create_task", "arguments": {"title": "Pay rent"}}',
    useInstead: '"function": {"name": "create_task", "arguments": "{\\"title\\": \\"Pay rent\\"}"}',
  },
  check(record, ctx) {
    forEachToolCall(record, ctx, checkCall);
  },
};

function checkCall(fn: Record<string, unknown>, list: JsonPath, i: number, j: number, _record: Record<string, unknown>, ctx: RecordContext): void {
  const args = fn.arguments;
  if (typeof args === 'string' || args === undefined) return;
  const path = argumentsPath(list, i, j);
  const label = callLabel(fn, j);
  if (typeof args === 'object' && args !== null) {
    const what = Array.isArray(args) ? 'a JSON array' : 'a JSON object';
    let newText: string | null = null;
    try {
      newText = JSON.stringify(JSON.stringify(args));
    } catch {
      // Nested too deep for JSON.stringify: report without a fix.
    }
    ctx.report(
      toolArgumentsNotString,
      { path },
      `The arguments of tool call ${label} are ${what}; OpenAI expects a string holding the JSON`,
      newText === null ? undefined : { title: toolArgumentsNotString.fix!.title, applicability: 'safe', edits: [{ target: { path }, newText }] },
    );
  } else {
    ctx.report(toolArgumentsNotString, { path }, `The arguments of tool call ${label} are ${JSON.stringify(args)}; OpenAI expects a string holding a JSON object (use "{}" for no arguments)`);
  }
}
