import { hasContent, isObj } from '../../dataset/messages';
import type { RecordRule } from '../types';

export const noTrainableTokens: RecordRule = {
  code: 'LD036',
  name: 'no-trainable-tokens',
  scope: 'record',
  defaultSeverity: 'warning',
  summary: 'No assistant turn of the conversation is trained on.',
  formats: ['openai-chat'],
  doc: {
    what: 'Flags a conversation whose assistant messages all have `weight: 0` or empty content (tool-call-only turns excepted), so no token contributes to the loss.',
    why: 'Trainers keep such examples but learn nothing from them (TRL drops them with a warning deep in the logs, OpenAI charges for their tokens). It is usually a weighting mistake.',
    example: '{"messages": [{"role": "user", "content": "Hi"}, {"role": "assistant", "content": "Hello", "weight": 0}]}',
    useInstead: '{"messages": [{"role": "user", "content": "Hi"}, {"role": "assistant", "content": "Hello", "weight": 1}]}',
  },
  check(record, ctx) {
    const messages = record.messages;
    if (!Array.isArray(messages)) return;
    let assistants = 0;
    for (const m of messages) {
      if (!isObj(m) || m.role !== 'assistant') continue;
      assistants++;
      const calls = Array.isArray(m.tool_calls) && m.tool_calls.length > 0;
      if (m.weight !== 0 && (hasContent(m.content) || calls)) return;
    }
    if (assistants > 0) ctx.report(noTrainableTokens, { path: ['messages'] }, `All ${assistants} assistant message${assistants === 1 ? ' has' : 's have'} weight 0 or no content: this example trains nothing`);
  },
};
