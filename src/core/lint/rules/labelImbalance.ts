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
  finish(items, ctx) {
    const kto = items.filter((i) => i.data.startsWith('kto:'));
    const at = { path: ['label'] };
    if (kto.length) {
      const pos = kto.filter((i) => i.data === 'kto:true').length;
      const neg = kto.length - pos;
      if (pos === 0 || neg === 0) return [{ line: kto[0].line, target: at, message: `All ${kto.length} KTO labels are ${pos ? 'true' : 'false'}: KTO needs both desirable and undesirable examples` }];
      const ratio = pos / neg;
      if (ratio < 1 || ratio > 4 / 3) {
        const w = (neg / pos).toFixed(2);
        return [{ line: kto[0].line, target: at, message: `KTO labels are ${pos} desirable : ${neg} undesirable (${ratio.toFixed(2)}:1); TRL recommends 1:1 to 4:3 — rebalance or set desirable_weight ≈ ${w}` }];
      }
      return [];
    }
    if (items.length < MIN_RECORDS || items.length < ctx.records * 0.9 || items.some((i) => i.data === LONG)) return [];
    const counts = new Map<string, number>();
    for (const i of items) counts.set(i.data, (counts.get(i.data) ?? 0) + 1);
    if (counts.size < 2 || counts.size > MAX_CLASSES) return [];
    const sorted = [...counts.entries()].sort((a, b) => b[1] - a[1]);
    const [big, small] = [sorted[0], sorted[sorted.length - 1]];
    if (big[1] <= small[1] * 5) return [];
    const first = items.find((i) => i.data === big[0])!;
    const dist = sorted.map(([l, n]) => `"${l}" ${n}`).join(', ');
    return [{ line: first.line, target: { path: [] }, message: `Answers look like class labels and are imbalanced: ${dist}. The model may learn to always answer "${big[0]}"` }];
  },
};
