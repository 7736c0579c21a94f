import type { Rule } from '../types';

export const invalidJson: Rule = {
  code: 'LD001',
  name: 'invalid-json',
  defaultSeverity: 'error',
  summary: 'A line is not valid JSON.',
  doc: {
    what: 'Flags every non-blank line of a JSON Lines file that does not parse as one JSON value, pointing at the exact character where parsing fails and saying what was expected there.',
    why: 'Trainers and data loaders read JSONL one line at a time. A single broken line makes `datasets.load_dataset`, the OpenAI file validator or a training script fail — often minutes or hours into a job — or silently drop the record.',
    example: '{"messages": [{"role": "user", "content": "Add a task"},]}\n{\'prompt\': \'single quotes\'}',
    useInstead: '{"messages": [{"role": "user", "content": "Add a task"}]}\n{"prompt": "double quotes"}',
  },
};
