import { messageLists } from '../../dataset/messages';
import type { RecordRule } from '../types';

export const emptyMessages: RecordRule = {
  code: 'LD008',
  name: 'empty-messages',
  scope: 'record',
  defaultSeverity: 'error',
  summary: 'A conversation has no messages.',
  formats: ['openai-chat', 'openai-preference', 'trl-prompt-completion', 'trl-preference', 'trl-preference-implicit', 'kto'],
  doc: {
    what: 'Flags an empty message list: `messages: []`, or an empty conversational prompt, completion, chosen or rejected.',
    why: 'An empty conversation has nothing to learn from; OpenAI rejects the file and TRL produces a sample with no tokens.',
    example: '{"messages": []}',
    useInstead: '{"messages": [{"role": "user", "content": "Add a task"}, {"role": "assistant", "content": "Added."}]}',
  },
  check(record, ctx) {
    for (const list of messageLists(record, ctx.format)) {
      if (list.messages.length === 0) ctx.report(emptyMessages, { path: list.path }, `\`${list.path.join('.')}\` is an empty list: a record needs at least one message`);
    }
  },
};
