/**
 * Dataset record formats, detected from the keys of each record. The ids are small integers so the
 * incremental linter can keep one per line cheaply; names are what users and the CLI see.
 */
export const formatNames = [
  'unknown',
  'openai-chat',
  'openai-preference',
  'trl-text',
  'trl-prompt-completion',
  'trl-preference',
  'trl-preference-implicit',
  'kto',
  'trl-stepwise',
  'sharegpt',
  'alpaca',
] as const;

export type FormatName = (typeof formatNames)[number];

export const formatLabels: Record<FormatName, string> = {
  unknown: 'Unknown',
  'openai-chat': 'OpenAI chat',
  'openai-preference': 'OpenAI preference (DPO)',
  'trl-text': 'TRL text',
  'trl-prompt-completion': 'TRL prompt-completion',
  'trl-preference': 'TRL preference',
  'trl-preference-implicit': 'TRL preference (implicit prompt)',
  kto: 'KTO',
  'trl-stepwise': 'TRL stepwise',
  sharegpt: 'ShareGPT',
  alpaca: 'Alpaca',
};

/** Format id of one parsed record (0 = unknown, including non-objects). */
export function detectRecordFormat(v: unknown): number {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return 0;
  const o = v as Record<string, unknown>;
  if ('messages' in o) return 1;
  if ('preferred_output' in o || 'non_preferred_output' in o) return 2;
  if ('conversations' in o) return 9;
  if ('chosen' in o || 'rejected' in o) return 'prompt' in o ? 5 : 6;
  if ('completions' in o && 'labels' in o) return 8;
  if ('completion' in o) return 'label' in o ? 7 : 4;
  if ('instruction' in o && 'output' in o) return 10;
  if ('text' in o) return 3;
  return 0;
}

export interface FormatSummary {
  /** The dominant format, `mixed` when no format holds 90% of the records, null when no record. */
  format: FormatName | 'mixed' | null;
  counts: Partial<Record<FormatName, number>>;
}

export function summarizeFormats(counts: ArrayLike<number>): FormatSummary {
  let total = 0;
  let best = -1;
  const out: Partial<Record<FormatName, number>> = {};
  let unknown = 0;
  for (let id = 0; id < counts.length; id++) {
    const n = counts[id];
    if (!n) continue;
    out[formatNames[id]] = n;
    // Records of no known format are other rules' findings; they do not make a file "mixed".
    if (id === 0) {
      unknown = n;
      continue;
    }
    total += n;
    if (best < 0 || n > counts[best]) best = id;
  }
  if (total === 0) return { format: unknown ? 'unknown' : null, counts: out };
  if (counts[best] < total * 0.9) return { format: 'mixed', counts: out };
  return { format: formatNames[best], counts: out };
}
