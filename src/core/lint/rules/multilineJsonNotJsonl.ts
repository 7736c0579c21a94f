import type { Rule } from '../types';

export const multilineJsonNotJsonl: Rule = {
  code: 'LD002',
  name: 'multiline-json-not-jsonl',
  defaultSeverity: 'error',
  summary: 'The file holds pretty-printed (multi-line) JSON instead of one record per line.',
  fix: { title: 'Rewrite as JSON Lines (one record per line)', applicability: 'safe' },
  doc: {
    what: 'Recognises a file whose content is valid JSON spread over several lines — pretty-printed objects one after another, or one JSON array of records — and reports it once instead of one syntax error per line.',
    why: 'JSON Lines needs each record on exactly one line. Pretty-printed JSON is the most common way a dataset ends up "broken": it came from `json.dump(..., indent=2)` or an editor\'s formatter. Every JSONL reader rejects it.',
    example: '{\n  "prompt": "Add a task",\n  "completion": "Done!"\n}',
    useInstead: '{"prompt": "Add a task", "completion": "Done!"}',
  },
};
