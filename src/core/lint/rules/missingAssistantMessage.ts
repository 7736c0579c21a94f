import { chatRoles, isObj } from '../../dataset/messages';
import type { RecordRule } from '../types';

export const missingAssistantMessage: RecordRule = {
  code: 'LD012',
  name: 'missing-assistant-message',
  scope: 'record',
  defaultSeverity: 'error',
  summary: 'A conversation has no assistant message to learn from.',
  formats: ['openai-chat', 'sharegpt'],
  doc: {
    what: 'Flags a supervised fine-tuning conversation without any assistant turn (ShareGPT: no `gpt` turn).',
    why: 'Fine-tuning computes the loss on assistant tokens only. Without an assistant message the example contributes nothing (OpenAI rejects it; TRL trains on zero tokens).',
    example: '{"messages": [{"role": "system", "content": "You are TaskBot."}, {"role": "user", "content": "Add a task"}]}',
    useInstead: '{"messages": [{"role": "system", "content": "You are TaskBot."}, {"role": "user", "content": "Add a task"}, {"role": "assistant", "content": "What should it be called?"}]}',
  },
  check(record, ctx) {
    if (ctx.format === 'sharegpt') {
      const turns = record.conversations;
      if (Array.isArray(turns) && turns.length && !turns.some((t) => isObj(t) && t.from === 'gpt')) {
        ctx.report(missingAssistantMessage, { path: ['conversations'] }, 'The conversation has no "gpt" turn: nothing for the model to learn');
      }
      return;
    }
    const messages = record.messages;
    // With an unknown role (e.g. "gpt") unknown-role says what is wrong; this would only add noise.
    if (Array.isArray(messages) && messages.length && messages.every((m) => isObj(m) && typeof m.role === 'string' && chatRoles.has(m.role)) && !messages.some((m) => isObj(m) && m.role === 'assistant')) {
      ctx.report(missingAssistantMessage, { path: ['messages'] }, 'The conversation has no assistant message: nothing for the model to learn');
    }
  },
};
