import type { FileRule, Target } from '../types';
import { wholeRecord } from './wholeRecord';

interface Item {
  /** 'forced': the format is set to openai-chat in llmops.yaml; 'unknown': no known keys. */
  why: 'forced' | 'unknown';
  keys: string;
  target: Target;
}

export const missingMessages: FileRule<Item> = {
  code: 'LD007',
  name: 'missing-messages',
  scope: 'file',
  defaultSeverity: 'error',
  summary: 'A record in a chat dataset has no `messages` list.',
  doc: {
    what: 'Flags a record without a `messages` key in an OpenAI chat dataset (the file\'s main format, or the format set in llmops.yaml), naming the keys it has instead.',
    why: 'Every OpenAI chat fine-tuning example is `{"messages": [...]}`. A record without it is rejected by OpenAI and becomes an empty example elsewhere.',
    example: '{"conversation": [{"role": "user", "content": "Hi"}]}',
    useInstead: '{"messages": [{"role": "user", "content": "Hi"}, {"role": "assistant", "content": "Hello"}]}',
  },
  collect(record, ctx) {
    if (typeof record !== 'object' || record === null || Array.isArray(record)) return undefined;
    const forced = ctx.format === 'openai-chat' && !('messages' in record);
    if (!forced && ctx.format !== 'unknown') return undefined;
    return { why: forced ? 'forced' : 'unknown', keys: Object.keys(record).slice(0, 8).join(', '), target: wholeRecord(ctx.text) };
  },
  finish(items, ctx) {
    const chatFile = ctx.config.format === 'openai-chat' || ctx.format === 'openai-chat';
    if (!chatFile) return [];
    return items.map((it) => ({
      line: it.line,
      target: it.data.target,
      message: `This record has no "messages" list${it.data.keys ? ` (it has: ${it.data.keys})` : ''}; OpenAI chat records are {"messages": [...]}`,
    }));
  },
};
