import type { RecordRule } from '../types';

export const missingRejected: RecordRule = {
  code: 'LD025',
  name: 'missing-rejected',
  scope: 'record',
  defaultSeverity: 'error',
  summary: 'A preference record has a chosen answer but no rejected one (or the reverse).',
  formats: ['openai-preference', 'trl-preference', 'trl-preference-implicit'],
  doc: {
    what: 'Flags preference records where the rejected (non-preferred) answer, or the chosen (preferred) one, is missing, null or empty.',
    why: 'DPO and its relatives need both answers of every pair; trainers crash on the missing column or drop the row.',
    example: '{"prompt": "Add a task", "chosen": "Added!"}',
    useInstead: '{"prompt": "Add a task", "chosen": "Added \\"Call the bank\\" for Friday.", "rejected": "ok"}',
  },
  check(record, ctx) {
    const [a, b] = ctx.format === 'openai-preference' ? ['preferred_output', 'non_preferred_output'] : ['chosen', 'rejected'];
    const empty = (v: unknown) => v === undefined || v === null || v === '' || (Array.isArray(v) && v.length === 0);
    if (empty(record[b]) && !empty(record[a])) ctx.report(missingRejected, b in record ? { path: [b] } : { path: [a], part: 'key' }, `"${b}" is ${b in record ? 'empty' : 'missing'}: a preference pair needs both answers`);
    else if (empty(record[a]) && !empty(record[b])) ctx.report(missingRejected, a in record ? { path: [a] } : { path: [b], part: 'key' }, `"${a}" is ${a in record ? 'empty' : 'missing'}: a preference pair needs both answers`);
  },
};
