import { isObj, messageLists } from '../../dataset/messages';
import type { RecordRule } from '../types';

export const missingContent: RecordRule = {
  code: 'LD011',
  name: 'missing-content',
  scope: 'record',
  defaultSeverity: 'error',
  summary: 'A message has no `content` (or no `role`).',
  formats: ['openai-chat', 'openai-preference', 'trl-prompt-completion', 'trl-preference', 'trl-preference-implicit', 'kto'],
  doc: {
    what: 'Flags a message without a `content` key, or with `content: null` where only an assistant message that makes tool calls may have none; also a message that is not an object or has no `role`.',
    why: 'Chat templates index `message["content"]`: a missing key fails the whole batch at tokenisation time, long after the job started.',
    example: '{"messages": [{"role": "user"}, {"role": "assistant", "content": "Done"}]}',
    useInstead: '{"messages": [{"role": "user", "content": "Add a task"}, {"role": "assistant", "content": "Done"}]}',
  },
  check(record, ctx) {
    for (const list of messageLists(record, ctx.format)) {
      list.messages.forEach((m, i) => {
        const path = [...list.path, i];
        if (!isObj(m)) {
          ctx.report(missingContent, { path }, `Message ${i + 1} must be an object with "role" and "content", not ${Array.isArray(m) ? 'an array' : JSON.stringify(m)}`);
          return;
        }
        if (!('role' in m)) ctx.report(missingContent, { path }, `Message ${i + 1} has no "role"`);
        const toolCalls = Array.isArray(m.tool_calls) && m.tool_calls.length > 0;
        if (!('content' in m)) {
          if (!toolCalls) ctx.report(missingContent, { path }, `Message ${i + 1}${typeof m.role === 'string' ? ` (${m.role})` : ''} has no "content"`);
        } else if (m.content === null && !toolCalls) {
          ctx.report(missingContent, { path: [...path, 'content'] }, `Message ${i + 1} has "content": null; only an assistant message with tool_calls may omit its content`);
        }
      });
    }
  },
};
