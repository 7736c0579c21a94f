import { isObj } from '../../dataset/messages';
import type { RecordRule } from '../types';

export const invalidWeight: RecordRule = {
  code: 'LD015',
  name: 'invalid-weight',
  scope: 'record',
  defaultSeverity: 'error',
  summary: 'A message `weight` is not 0 or 1, or is on a non-assistant message.',
  formats: ['openai-chat'],
  doc: {
    what: 'Flags `weight` values other than 0 and 1, and `weight` on messages that are not from the assistant.',
    why: 'OpenAI only accepts weight 0 (do not train on this turn) or 1 on assistant messages; anything else is rejected when the job validates the file.',
    example: '{"messages": [{"role": "user", "content": "Hi", "weight": 1}, {"role": "assistant", "content": "Hello", "weight": 0.5}]}',
    useInstead: '{"messages": [{"role": "user", "content": "Hi"}, {"role": "assistant", "content": "Hello", "weight": 1}]}',
  },
  check(record, ctx) {
    const messages = record.messages;
    if (!Array.isArray(messages)) return;
    messages.forEach((m, i) => {
      if (!isObj(m) || !('weight' in m)) return;
      const path = ['messages', i, 'weight'];
      if (m.role !== 'assistant') ctx.report(invalidWeight, { path, part: 'key' }, `"weight" is only allowed on assistant messages (this one is "${String(m.role)}")`);
      else if (m.weight !== 0 && m.weight !== 1) ctx.report(invalidWeight, { path }, `"weight" must be 0 or 1, not ${JSON.stringify(m.weight)}`);
    });
  },
};
