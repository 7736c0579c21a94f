import type { Rule } from '../types';

export const emptyFile: Rule = {
  code: 'LD005',
  name: 'empty-file',
  defaultSeverity: 'warning',
  summary: 'The dataset has no records.',
  doc: {
    what: 'Flags a dataset file that is empty or holds only blank lines.',
    why: 'An empty training or evaluation file usually means an export or a pipeline step failed upstream; trainers either crash on it or finish instantly having learned nothing.',
    example: '(an empty file, or one with only blank lines)',
    useInstead: 'At least one JSON object per line, e.g. {"messages": [...]}.',
  },
};
