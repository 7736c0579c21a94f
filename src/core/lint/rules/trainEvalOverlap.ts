import { promptText, textHash } from '../../quality/recordText';
import type { FileIssue, FileRule } from '../types';

interface Item {
  record: number;
  prompt: number | null;
}

export const trainEvalOverlap: FileRule<Item> = {
  code: 'LD028',
  name: 'train-eval-overlap',
  scope: 'file',
  defaultSeverity: 'error',
  summary: 'An evaluation record (or its prompt) also appears in the training set.',
  doc: {
    what: 'In an evaluation file — the `eval` dataset of llmops.yaml, or an eval/test/validation file next to a train file — flags records identical to a training record, and records whose prompt (the user turns, without the system prompt) is a training prompt, with the training line.',
    why: 'Leaked evaluation data makes a fine-tune look better than it is: the model is graded on answers it memorised. It is the most common reason offline scores do not hold up in production.',
    example: 'train.jsonl line 12 and eval.jsonl line 3: {"messages": [{"role": "user", "content": "Add a task: renew passport"}, ...]}',
    useInstead: 'Split before any augmentation or deduplication, by conversation or user, and keep held-out prompts out of the training file.',
  },
  collect(record, ctx) {
    if (!ctx.config.overlap || typeof record !== 'object' || record === null || Array.isArray(record)) return undefined;
    const p = promptText(record as Record<string, unknown>, ctx.format);
    return { record: ctx.lineHash(), prompt: p === null ? null : textHash(p) };
  },
  stream(config) {
    const ref = config.overlap;
    const issues: FileIssue[] = [];
    return {
      add(line, item) {
        if (!ref) return;
        const same = ref.records.get(item.record);
        if (same !== undefined) {
          issues.push({ line, target: { path: [] }, message: `This evaluation record is also in the training set (${ref.trainPath} line ${same + 1}): it measures memorisation, not generalisation` });
          return;
        }
        const prompt = item.prompt === null ? undefined : ref.prompts.get(item.prompt);
        if (prompt !== undefined) issues.push({ line, target: { path: [] }, message: `This prompt is also a training prompt (${ref.trainPath} line ${prompt + 1}): the evaluation leaks into training` });
      },
      end: () => issues,
    };
  },
};
