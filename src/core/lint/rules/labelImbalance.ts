import { contentText, isObj } from '../../dataset/messages';
import type { FileRule } from '../types';

/** KTO label ('kto:true' / 'kto:false'), a short final answer, or LONG (not label-like). */
type Item = string;
const LONG = '\u0000long';

/** Answers this short, from this few distinct values, look like class labels. */
const MAX_LABEL_CHARS = 32;
const MAX_CLASSES = 12;
const MIN_RECORDS = 20;

function finalAnswer(record: Record<string, unknown>, format: string): string | null {
  if (format === 'openai-chat' && Array.isArray(record.messages)) {
    const last = record.messages[record.messages.length - 1];
    return isObj(last) && last.role === 'assistant' ? contentText(last.content) : null;
  }
  if (format === 'trl-prompt-completion' || format === 'alpaca') {
    const v = format === 'alpaca' ? record.output : record.completion;
    return typeof v === 'string' ? v : null;
  }
  return null;
}

export const labelImbalance: FileRule<Item> = {
  code: 'LD034',
  name: 'label-imbalance',
  scope: 'file',
  defaultSeverity: 'warning',
  summary: 'KTO labels or classification-like answers are heavily imbalanced.',
  doc: {
    what: 'For KTO data, checks the ratio of desirable (`label: true`) to undesirable examples against TRL\'s recommended 1:1 to 4:3. For datasets whose answers are a few short labels (classification-like), flags a largest class more than 5 times the smallest.',
    why: 'An imbalanced KTO set needs `desirable_weight`/`undesirable_weight` adjusted or training is dominated by one side; a classifier fine-tuned on 95% "no" learns to always answer "no".',
    example: '{"prompt": "...", "completion": "...", "label": true} × 900, label false × 100',
    useInstead: 'Balance the classes (more examples of the rare ones, or downsample), or set the KTO weights so that desirable_weight × positives : undesirable_weight × negatives is between 1:1 and 4:3.',
  },
  collect(record, ctx) {
    if (typeof record !== 'object' || record === null || Array.isArray(record)) return undefined;
    const r = record as Record<string, unknown>;
    if (ctx.format === 'kto' && typeof r.label === 'boolean') return r.label ? 'kto:true' : 'kto:false';
    const a = finalAnswer(r, ctx.format);
    if (a === null) return undefined;
    // Long answers are the common case: decide before allocating a normalised copy.
    if (a.length > MAX_LABEL_CHARS * 2) return LONG;
    const label = a.trim().toLowerCase();
    return label.length > 0 && label.length <= MAX_LABEL_CHARS ? label : LONG;
  },
  stream() {
    let ktoPos = 0;
    let ktoNeg = 0;
    let ktoFirst = -1;
    let items = 0;
    let long = false;
    const counts = new Map<string, number>();
    const firstLine = new Map<string, number>();
    return {
      add(line, label) {
        if (label === 'kto:true' || label === 'kto:false') {
          if (label === 'kto:true') ktoPos++;
          else ktoNeg++;
          if (ktoFirst < 0) ktoFirst = line;
          return;
        }
        items++;
        if (label === LONG) long = true;
        // Counting stops mattering once there are too many classes or a long answer.
        else if (!long && counts.size <= MAX_CLASSES) {
          counts.set(label, (counts.get(label) ?? 0) + 1);
          if (!firstLine.has(label)) firstLine.set(label, line);
        }
      },
      end(ctx) {
        const at = { path: ['label'] };
        const kto = ktoPos + ktoNeg;
        if (kto) {
          if (ktoPos === 0 || ktoNeg === 0) return [{ line: ktoFirst, target: at, message: `All ${kto} KTO labels are ${ktoPos ? 'true' : 'false'}: KTO needs both desirable and undesirable examples` }];
          const ratio = ktoPos / ktoNeg;
          if (ratio < 1 || ratio > 4 / 3) {
            const w = (ktoNeg / ktoPos).toFixed(2);
            return [{ line: ktoFirst, target: at, message: `KTO labels are ${ktoPos} desirable : ${ktoNeg} undesirable (${ratio.toFixed(2)}:1); TRL recommends 1:1 to 4:3 — rebalance or set desirable_weight ≈ ${w}` }];
          }
          return [];
        }
        if (long || items < MIN_RECORDS || items < ctx.records * 0.9 || counts.size < 2 || counts.size > MAX_CLASSES) return [];
        const sorted = [...counts.entries()].sort((a, b) => b[1] - a[1]);
        const [big, small] = [sorted[0], sorted[sorted.length - 1]];
        if (big[1] <= small[1] * 5) return [];
        const dist = sorted.map(([l, n]) => `"${l}" ${n}`).join(', ');
        return [{ line: firstLine.get(big[0])!, target: { path: [] }, message: `Answers look like class labels and are imbalanced: ${dist}. The model may learn to always answer "${big[0]}"` }];
      },
    };
  },
};
