import { contentText, isObj } from '../../dataset/messages';
import type { RecordRule } from '../types';

/** The comparable text of a preference answer: a string, or the contents of its messages. */
export function answerText(v: unknown): string | null {
  if (typeof v === 'string') return v;
  if (Array.isArray(v)) {
    const parts = v.map((m) => (isObj(m) ? `${String(m.role)}:${contentText(m.content) ?? JSON.stringify(m.content ?? null)}${m.tool_calls ? JSON.stringify(m.tool_calls) : ''}` : JSON.stringify(m)));
    return parts.join('\n');
  }
  return null;
}

const norm = (s: string) => s.replace(/\s+/g, ' ').trim();

export const identicalChosenRejected: RecordRule = {
  code: 'LD024',
  name: 'identical-chosen-rejected',
  scope: 'record',
  defaultSeverity: 'error',
  summary: 'A preference pair has the same chosen and rejected answer.',
  formats: ['openai-preference', 'trl-preference', 'trl-preference-implicit'],
  doc: {
    what: 'Flags preference records whose preferred and non-preferred answers are identical once whitespace is normalised.',
    why: 'DPO learns from the difference between the two answers. Identical answers give a zero gradient at best, and usually mean the rejected answer was copied from the chosen one by mistake.',
    example: '{"prompt": "Add a task", "chosen": "Added!", "rejected": "Added!"}',
    useInstead: '{"prompt": "Add a task", "chosen": "Added \\"Call the bank\\" for Friday.", "rejected": "ok"}',
  },
  check(record, ctx) {
    const [a, b] = ctx.format === 'openai-preference' ? ['preferred_output', 'non_preferred_output'] : ['chosen', 'rejected'];
    const x = answerText(record[a]);
    const y = answerText(record[b]);
    if (x === null || y === null) return;
    if (norm(x) === norm(y)) ctx.report(identicalChosenRejected, { path: [b] }, `"${b}" is identical to "${a}": the pair teaches no preference`);
  },
};
