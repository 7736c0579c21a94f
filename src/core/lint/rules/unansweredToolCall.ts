import { isObj } from '../../dataset/messages';
import type { JsonPath, RecordContext, RecordRule } from '../types';

const CHAT: JsonPath = ['messages'];
const INPUT: JsonPath = ['input', 'messages'];

/** Roles that end the run of tool results following an assistant's calls. */
const isTurn = (role: unknown): boolean => role === 'user' || role === 'assistant' || role === 'system' || role === 'developer';

export const unansweredToolCall: RecordRule = {
  code: 'LD023',
  name: 'unanswered-tool-call',
  scope: 'record',
  defaultSeverity: 'warning',
  summary: 'An assistant tool call gets no `tool` message with its id before the next turn.',
  formats: ['openai-chat', 'openai-preference'],
  doc: {
    what: 'Flags each tool call of an assistant message that no `tool` message answers (same `tool_call_id`) before the next user, assistant or system message, or the end of the conversation. In preference data only the prompt (`input.messages`) is checked: an output that ends in a call is the answer being trained.',
    why: 'The model then learns that a call is followed by nothing, or by a reply that ignores its result; OpenAI and most chat templates expect every call to be answered before the assistant speaks again. Parallel calls need one result each.',
    example: '{"role": "assistant", "tool_calls": [{"id": "call_1", ...}, {"id": "call_2", ...}]}, {"role": "tool", "tool_call_id": "call_1", "content": "..."}, {"role": "assistant", "content": "Done"}',
    useInstead: '{"role": "assistant", "tool_calls": [{"id": "call_1", ...}, {"id": "call_2", ...}]}, {"role": "tool", "tool_call_id": "call_1", "content": "..."}, {"role": "tool", "tool_call_id": "call_2", "content": "..."}, {"role": "assistant", "content": "Done"}',
  },
  check(record, ctx) {
    if (ctx.format === 'openai-chat') scan(record.messages, CHAT, ctx);
    else if (isObj(record.input)) scan(record.input.messages, INPUT, ctx);
  },
};

function scan(list: unknown, at: JsonPath, ctx: RecordContext): void {
  if (!Array.isArray(list)) return;
  for (let i = 0; i < list.length; i++) {
    const m = list[i];
    if (!isObj(m) || m.role !== 'assistant') continue;
    const calls = m.tool_calls;
    if (!Array.isArray(calls) || calls.length === 0) continue;
    // The tool results that follow, up to the next turn.
    let end = i + 1;
    while (end < list.length && !(isObj(list[end]) && isTurn((list[end] as Record<string, unknown>).role))) end++;
    // Many parallel calls: one set instead of a scan per call.
    const answered = calls.length > 8 ? answeredIds(list, i + 1, end) : null;
    for (let j = 0; j < calls.length; j++) {
      const c = calls[j];
      if (!isObj(c)) continue;
      const id = c.id;
      if (typeof id !== 'string') {
        ctx.report(unansweredToolCall, { path: [...at, i, 'tool_calls', j] }, `Tool call ${j + 1} has no "id", so no tool message can answer it`);
        continue;
      }
      if (answered !== null ? answered.has(id) : isAnswered(list, i + 1, end, id)) continue;
      const fn = isObj(c.function) && typeof c.function.name === 'string' ? ` (${c.function.name})` : '';
      const until = end < list.length ? `before the next ${String((list[end] as Record<string, unknown>).role)} message` : 'before the end of the conversation';
      ctx.report(unansweredToolCall, { path: [...at, i, 'tool_calls', j, 'id'] }, `Tool call "${id}"${fn} gets no answer: no tool message with this "tool_call_id" follows ${until}`);
    }
  }
}

function isAnswered(list: unknown[], from: number, to: number, id: string): boolean {
  for (let k = from; k < to; k++) {
    const t = list[k];
    if (isObj(t) && t.role === 'tool' && t.tool_call_id === id) return true;
  }
  return false;
}

function answeredIds(list: unknown[], from: number, to: number): Set<unknown> {
  const s = new Set<unknown>();
  for (let k = from; k < to; k++) {
    const t = list[k];
    if (isObj(t) && t.role === 'tool') s.add(t.tool_call_id);
  }
  return s;
}
