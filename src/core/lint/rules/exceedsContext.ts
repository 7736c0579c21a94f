import type { JsonPath, RecordRule } from '../types';

/** The key that holds what gets tokenized, per format (the finding underlines it). */
const mainKey: Readonly<Record<string, string>> = {
  'openai-chat': 'messages',
  'openai-preference': 'input',
  'trl-text': 'text',
  'trl-prompt-completion': 'prompt',
  kto: 'prompt',
  'trl-preference': 'prompt',
  'trl-preference-implicit': 'chosen',
  'trl-stepwise': 'prompt',
  sharegpt: 'conversations',
  alpaca: 'instruction',
};

const fmt = (n: number): string => n.toLocaleString('en-US');

export const exceedsContext: RecordRule = {
  code: 'LD035',
  name: 'exceeds-context',
  scope: 'record',
  defaultSeverity: 'warning',
  summary: 'The record has more tokens than the model or the training config allows.',
  doc: {
    what:
      "Counts each record's tokens with the real tokenizer of the project's base model (llmops.yaml `base_model`), chat template applied, and flags records above the limit: the model's context length, or the training config's `max_seq_len` when it is smaller. Without a base model (or when no limit is known) the rule does nothing; when no tokenizer can be found the count is an estimate, marked ≈.",
    why: 'Trainers do not fail on long examples: TRL truncates them to max_length (cutting off the end of the conversation, usually the assistant answer that carries the loss), other trainers drop them, and OpenAI truncates to its per-example limit. Either way the example silently stops teaching what it was written for.',
    example: '{"messages": [{"role": "user", "content": "<a 30-page contract>"}, {"role": "assistant", "content": "Summary: …"}]}   # 9,800 tokens, max_seq_len 4096',
    useInstead: 'Split the source into chunks that fit, shorten the system prompt or tool list, or raise max_seq_len (memory grows with it).',
  },
  check(record, ctx) {
    const t = ctx.config.tokens;
    if (!t || !(t.limit < Infinity)) return;
    // Most records are far below the limit: the byte bound settles them without tokenizing.
    if (t.upperBound(record, ctx.format) <= t.limit) return;
    const n = t.countRecord(record, ctx.format);
    if (n <= t.limit) return;
    const key = mainKey[ctx.format];
    const target: { path: JsonPath; part?: 'key' } = key && key in record ? { path: [key], part: 'key' } : { path: [] };
    const approx = t.exact ? '' : '≈';
    ctx.report(
      exceedsContext,
      target,
      `${approx}${fmt(n)} tokens (${t.exact ? '' : 'estimated, '}${t.name} tokenizer) exceed the limit of ${fmt(t.limit)} (${t.limitSource}) by ${approx}${fmt(n - t.limit)}: the trainer will truncate this example or drop it`,
    );
  },
};
