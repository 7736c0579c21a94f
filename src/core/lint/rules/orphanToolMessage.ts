import { isObj } from '../../dataset/messages';
import type { JsonPath, RecordContext, RecordRule } from '../types';

const CHAT: JsonPath = ['messages'];
const INPUT: JsonPath = ['input', 'messages'];
const PREFERRED: JsonPath = ['preferred_output'];
const NON_PREFERRED: JsonPath = ['non_preferred_output'];

export const orphanToolMessage: RecordRule = {
  code: 'LD022',
  name: 'orphan-tool-message',
  scope: 'record',
  defaultSeverity: 'error',
  summary: 'A `tool` message answers no earlier tool call (unknown or missing `tool_call_id`).',
  formats: ['openai-chat', 'openai-preference'],
  doc: {
    what: 'Flags a message with role `tool` whose `tool_call_id` is missing, or names no tool call made by an earlier assistant message of the conversation.',
    why: 'A tool result is only meaningful next to the call it answers: OpenAI rejects tool messages that answer no call, and chat templates that pair calls with results (Llama 3, Qwen) render an orphan result as a stray turn or fail.',
    example: '{"role": "assistant", "tool_calls": [{"id": "call_1", ...}]}, {"role": "tool", "tool_call_id": "call_2", "content": "{\\"id\\": \\"tsk_1\\"}"}',
    useInstead: '{"role": "assistant", "tool_calls": [{"id": "call_1", ...}]}, {"role": "tool", "tool_call_id": "call_1", "content": "{\\"id\\": \\"tsk_1\\"}"}',
  },
  check(record, ctx) {
    if (ctx.format === 'openai-chat') {
      scan(record.messages, CHAT, null, ctx);
      return;
    }
    const input = record.input;
    // Each output continues the prompt on its own: it sees the prompt's calls, not the other output's.
    const promptIds = isObj(input) ? scan(input.messages, INPUT, null, ctx) : null;
    scan(record.preferred_output, PREFERRED, promptIds, ctx);
    scan(record.non_preferred_output, NON_PREFERRED, promptIds, ctx);
  },
};

/** Checks the tool messages of one list; returns the call ids seen (`inherited` is never changed). */
function scan(list: unknown, at: JsonPath, inherited: Set<string> | null, ctx: RecordContext): Set<string> | null {
  if (!Array.isArray(list)) return inherited;
  let ids = inherited;
  let own = false;
  for (let i = 0; i < list.length; i++) {
    const m = list[i];
    if (!isObj(m)) continue;
    if (m.role === 'assistant') {
      const calls = m.tool_calls;
      if (!Array.isArray(calls)) continue;
      for (let j = 0; j < calls.length; j++) {
        const c = calls[j];
        if (!isObj(c) || typeof c.id !== 'string') continue;
        if (!own) {
          ids = new Set(ids);
          own = true;
        }
        ids!.add(c.id);
      }
    } else if (m.role === 'tool') {
      const id = m.tool_call_id;
      if (typeof id === 'string' && ids !== null && ids.has(id)) continue;
      report(id, ids, [...at, i], ctx);
    }
  }
  return ids;
}

function report(id: unknown, ids: Set<string> | null, path: JsonPath, ctx: RecordContext): void {
  if (id === undefined || id === null) {
    ctx.report(orphanToolMessage, { path }, 'This tool message has no "tool_call_id": it must name the id of the assistant tool call it answers');
    return;
  }
  if (typeof id !== 'string') {
    ctx.report(orphanToolMessage, { path: [...path, 'tool_call_id'] }, `"tool_call_id" must be a string (the id of the tool call answered), not ${JSON.stringify(id)}`);
    return;
  }
  const known = ids === null ? [] : [...ids];
  const seen =
    known.length === 0
      ? 'no earlier assistant message makes a tool call'
      : `no earlier tool call has this id (earlier calls: ${known.slice(-4).join(', ')}${known.length > 4 ? ', …' : ''})`;
  ctx.report(orphanToolMessage, { path: [...path, 'tool_call_id'] }, `Tool message answers "${id}", but ${seen}`);
}
