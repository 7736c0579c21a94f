import type { Rule } from '../types';

export const notAnObject: Rule = {
  code: 'LD006',
  name: 'not-an-object',
  defaultSeverity: 'error',
  summary: 'A line holds valid JSON that is not an object.',
  doc: {
    what: 'Flags a line whose JSON value is an array, string, number, boolean or null instead of an object.',
    why: 'Every fine-tuning format stores one record per line as a JSON object with named fields. A bare array (often a whole dataset dumped on one line) or a string is rejected by trainers, or read as a record with no fields.',
    example: '[{"role": "user", "content": "Add a task"}, {"role": "assistant", "content": "Done"}]',
    useInstead: '{"messages": [{"role": "user", "content": "Add a task"}, {"role": "assistant", "content": "Done"}]}',
  },
};
