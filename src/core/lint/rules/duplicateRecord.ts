import { HashLineMap } from '../../quality/hashTable';
import type { FileIssue, FileRule } from '../types';

export const duplicateRecord: FileRule<number> = {
  code: 'LD026',
  name: 'duplicate-record',
  scope: 'file',
  defaultSeverity: 'warning',
  summary: 'A record is an exact copy of an earlier one.',
  fix: { title: 'Remove the duplicate record', applicability: 'safe' },
  doc: {
    what: 'Flags a record identical to an earlier record of the same file once whitespace is normalised, naming the line of the first copy.',
    why: 'Duplicates over-weight those examples (the model memorises them), inflate the training bill, and leak into evaluation splits made by random sampling.',
    example: '{"prompt": "Add a task", "completion": "Added."}\n{"prompt":"Add a task","completion":"Added."}',
    useInstead: '{"prompt": "Add a task", "completion": "Added."}',
  },
  collect(_record, ctx) {
    return ctx.lineHash();
  },
  stream() {
    const first = new HashLineMap();
    const issues: FileIssue[] = [];
    return {
      add(line, hash) {
        const of = first.setIfAbsent(hash, line);
        if (of !== line)
          issues.push({
            line,
            target: { path: [] },
            message: `Duplicate of the record on line ${of + 1} (identical after normalising whitespace)`,
            fix: { title: `Remove this duplicate of line ${of + 1}`, applicability: 'safe', edits: [{ target: { wholeLine: true }, newText: '' }] },
          });
      },
      end: () => issues,
    };
  },
};
