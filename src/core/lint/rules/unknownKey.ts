import { isObj, messageLists } from '../../dataset/messages';
import type { JsonPath, RecordContext, RecordRule } from '../types';

const topKeys: Readonly<Record<string, readonly string[]>> = {
  'openai-chat': ['messages', 'tools', 'parallel_tool_calls', 'functions'],
  'openai-preference': ['input', 'preferred_output', 'non_preferred_output'],
  'trl-text': ['text'],
  'trl-prompt-completion': ['prompt', 'completion', 'images', 'tools'],
  'trl-preference': ['prompt', 'chosen', 'rejected', 'images', 'tools'],
  'trl-preference-implicit': ['chosen', 'rejected', 'images', 'tools'],
  kto: ['prompt', 'completion', 'label', 'tools', 'images'],
  'trl-stepwise': ['prompt', 'completions', 'labels'],
  sharegpt: ['conversations', 'system', 'tools'],
  alpaca: ['instruction', 'input', 'output', 'system', 'history'],
};
// Deprecated OpenAI fields (function_call, refusal) are still accepted by its fine-tuning API.
const messageKeys = new Set(['role', 'content', 'name', 'weight', 'tool_calls', 'tool_call_id', 'function_call', 'refusal']);
const inputKeys = new Set(['messages', 'tools', 'parallel_tool_calls']);
const turnKeys = new Set(['from', 'value']);
const toolCallKeys = new Set(['id', 'type', 'function']);
const topSets = new Map(Object.entries(topKeys).map(([k, v]) => [k, new Set(v)]));

export const unknownKey: RecordRule = {
  code: 'LD009',
  name: 'unknown-key',
  scope: 'record',
  defaultSeverity: 'warning',
  summary: 'A record, message or tool call has a key its format does not define.',
  doc: {
    what: "Flags keys that the record's format does not define — at the top level, in messages, in tool calls and ShareGPT turns. Typos of real keys (`contents`, `tool_call`) are the usual cause.",
    why: "OpenAI rejects files with unexpected keys; open-source trainers silently ignore them, so a misspelt `contents` means the message is trained as empty. Metadata such as an `id` belongs in a separate file or is dropped before training.",
    example: '{"messages": [{"role": "user", "contents": "Add a task"}], "id": 17}',
    useInstead: '{"messages": [{"role": "user", "content": "Add a task"}]}',
  },
  check(record, ctx) {
    const allowed = topSets.get(ctx.format);
    if (!allowed) return;
    checkKeys(record, allowed, [], ctx, `this ${ctx.format} record`);
    if (ctx.format === 'openai-preference' && isObj(record.input)) checkKeys(record.input, inputKeys, ['input'], ctx, '"input"');
    for (const list of messageLists(record, ctx.format)) {
      list.messages.forEach((m, i) => {
        if (!isObj(m)) return;
        checkKeys(m, messageKeys, [...list.path, i], ctx, 'a message');
        if (Array.isArray(m.tool_calls)) m.tool_calls.forEach((c, j) => isObj(c) && checkKeys(c, toolCallKeys, [...list.path, i, 'tool_calls', j], ctx, 'a tool call'));
      });
    }
    if (ctx.format === 'sharegpt' && Array.isArray(record.conversations)) {
      record.conversations.forEach((t, i) => isObj(t) && checkKeys(t, turnKeys, ['conversations', i], ctx, 'a ShareGPT turn'));
    }
  },
};

function closest(key: string, allowed: Set<string>): string | undefined {
  let best: string | undefined;
  let bestD = 3;
  for (const a of allowed) {
    const d = distance(key.toLowerCase(), a);
    if (d < bestD) {
      bestD = d;
      best = a;
    }
  }
  return best;
}

function distance(a: string, b: string): number {
  if (Math.abs(a.length - b.length) > 2) return 99;
  const row = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let prev = row[0];
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const tmp = row[j];
      row[j] = Math.min(row[j] + 1, row[j - 1] + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = tmp;
    }
  }
  return row[b.length];
}

function checkKeys(obj: Record<string, unknown>, allowed: Set<string>, path: JsonPath, ctx: RecordContext, what: string): void {
  for (const key in obj) {
    if (allowed.has(key)) continue;
    const hint = closest(key, allowed);
    ctx.report(unknownKey, { path: [...path, key], part: 'key' }, `Unknown key "${key}" in ${what}${hint ? ` (did you mean "${hint}"?)` : ''}; allowed: ${[...allowed].join(', ')}`);
  }
}
