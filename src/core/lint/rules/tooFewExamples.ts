import type { FileRule } from '../types';

/** OpenAI rejects fine-tuning files with fewer examples than this. */
const OPENAI_MINIMUM = 10;

export const tooFewExamples: FileRule<never> = {
  code: 'LD033',
  name: 'too-few-examples',
  scope: 'file',
  defaultSeverity: 'warning',
  summary: 'The training file has fewer examples than fine-tuning needs.',
  doc: {
    what: 'Flags a training dataset with fewer than 10 records (OpenAI\'s minimum) or fewer than the recommended count (`lint.min_examples` in llmops.yaml, default 50). Files named as eval datasets in llmops.yaml are exempt.',
    why: 'OpenAI refuses to start a job below 10 examples, and below ~50 a fine-tune rarely beats a good prompt; a small file often means an export was cut short.',
    example: 'train.jsonl with 8 records',
    useInstead: 'At least 50 varied, representative examples (hundreds for a new task or tool-calling behaviour).',
  },
  finish(_items, ctx) {
    const n = ctx.records;
    if (n === 0 || ctx.config.role === 'eval') return [];
    const who = ctx.format?.startsWith('openai') ? 'OpenAI requires' : 'fine-tuning needs';
    if (n < OPENAI_MINIMUM) return [{ line: 0, target: { offset: 0, length: 1 }, message: `Only ${n} example${n === 1 ? '' : 's'}: ${who} at least ${OPENAI_MINIMUM} (${ctx.config.minExamples}+ recommended)` }];
    if (n < ctx.config.minExamples) return [{ line: 0, target: { offset: 0, length: 1 }, message: `Only ${n} examples: at least ${ctx.config.minExamples} are recommended for fine-tuning to beat prompting` }];
    return [];
  },
};
