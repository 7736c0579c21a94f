import type { FileRule, Target } from '../types';
import { wholeRecord } from './wholeRecord';

interface Item {
  keys: string;
  target: Target;
}

export const unrecognizedFormat: FileRule<Item> = {
  code: 'LD037',
  name: 'unrecognized-format',
  scope: 'file',
  defaultSeverity: 'warning',
  summary: 'A record matches none of the known dataset formats.',
  doc: {
    what: 'Flags records whose keys match no supported format (OpenAI chat or preference, TRL text / prompt-completion / preference / KTO / stepwise, ShareGPT, Alpaca), outside OpenAI chat files (there, missing-messages says it more precisely).',
    why: 'Trainers pick columns by name. A record with `question`/`answer` or `input`/`target` is not read by any SFT trainer without a conversion step, so it silently trains nothing or fails.',
    example: '{"question": "How do I add a task?", "answer": "Say: add ..."}',
    useInstead: '{"prompt": "How do I add a task?", "completion": "Say: add ..."}',
  },
  collect(record, ctx) {
    if (ctx.format !== 'unknown' || typeof record !== 'object' || record === null || Array.isArray(record)) return undefined;
    return { keys: Object.keys(record).slice(0, 8).join(', '), target: wholeRecord(ctx.text) };
  },
  finish(items, ctx) {
    if (ctx.config.format === 'openai-chat' || ctx.format === 'openai-chat') return [];
    return items.slice(0, 100).map((it) => ({
      line: it.line,
      target: it.data.target,
      message: `This record matches no known dataset format${it.data.keys ? ` (keys: ${it.data.keys})` : ' (no keys)'}; e.g. {"messages": [...]}, {"prompt", "completion"}, {"instruction", "output"}`,
    }));
  },
};
