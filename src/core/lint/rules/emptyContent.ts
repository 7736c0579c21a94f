import { hasContent, isObj, messageLists } from '../../dataset/messages';
import type { RecordRule } from '../types';

export const emptyContent: RecordRule = {
  code: 'LD014',
  name: 'empty-content',
  scope: 'record',
  defaultSeverity: 'warning',
  summary: 'A message (or a text field) is empty or only whitespace.',
  doc: {
    what: 'Flags message content that is an empty string or only whitespace (string or text parts), and empty text fields of the prompt/completion, preference, Alpaca and ShareGPT formats.',
    why: 'Empty turns teach the model to answer with nothing, and empty prompts waste a training example. They usually come from a failed export or a template placeholder that was never filled in.',
    example: '{"messages": [{"role": "user", "content": "Add a task"}, {"role": "assistant", "content": "  "}]}',
    useInstead: '{"messages": [{"role": "user", "content": "Add a task"}, {"role": "assistant", "content": "Added \\"Call the bank\\" for tomorrow."}]}',
  },
  check(record, ctx) {
    for (const list of messageLists(record, ctx.format)) {
      list.messages.forEach((m, i) => {
        if (!isObj(m) || !('content' in m) || m.content === null) return;
        if (Array.isArray(m.tool_calls) && m.tool_calls.length) return;
        if (typeof m.content === 'string' || Array.isArray(m.content)) {
          if (!hasContent(m.content)) ctx.report(emptyContent, { path: [...list.path, i, 'content'] }, `Message ${i + 1}${typeof m.role === 'string' ? ` (${m.role})` : ''} has empty content`);
        }
      });
    }
    const fields: Record<string, string[]> = {
      'trl-text': ['text'],
      'trl-prompt-completion': ['prompt', 'completion'],
      kto: ['prompt', 'completion'],
      // Empty chosen/rejected answers are missing-rejected's.
      'trl-preference': ['prompt'],
      alpaca: ['instruction', 'output'],
    };
    for (const key of fields[ctx.format] ?? []) {
      const v = record[key];
      if (typeof v === 'string' && v.trim() === '') ctx.report(emptyContent, { path: [key] }, `"${key}" is empty`);
    }
    if (ctx.format === 'sharegpt' && Array.isArray(record.conversations)) {
      record.conversations.forEach((t, i) => {
        if (isObj(t) && typeof t.value === 'string' && t.value.trim() === '') ctx.report(emptyContent, { path: ['conversations', i, 'value'] }, `Turn ${i + 1} has an empty "value"`);
      });
    }
  },
};
