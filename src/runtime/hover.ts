import { detectRecordFormat, formatLabels, formatNames } from '../core/dataset/formats';
import { contentText, isObj, messageLists } from '../core/dataset/messages';
import type { TokenCounter } from '../core/lint/types';

const n = (x: number): string => x.toLocaleString('en-US');

/**
 * Markdown for hovering a record: messages and characters per role, tokens (the project's
 * tokenizer with the chat template, or a marked estimate) and trainable tokens. Null for lines
 * that are not a record.
 */
export function recordHover(line: string, lineNo: number, tokens: TokenCounter | undefined): string | null {
  if (!line.trim()) return null;
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    return null;
  }
  if (!isObj(value)) return null;
  const format = formatNames[detectRecordFormat(value)];
  const rows = new Map<string, { messages: number; chars: number }>();
  for (const list of messageLists(value, format)) {
    for (const m of list.messages) {
      if (!isObj(m)) continue;
      const role = typeof m.role === 'string' ? m.role : '?';
      const r = rows.get(role) ?? { messages: 0, chars: 0 };
      r.messages++;
      r.chars += (contentText(m.content) ?? '').length + (m.tool_calls ? JSON.stringify(m.tool_calls).length : 0);
      rows.set(role, r);
    }
  }
  const out = [`**Record ${n(lineNo + 1)}** · ${formatLabels[format]}${rows.size ? ` · ${n([...rows.values()].reduce((a, r) => a + r.messages, 0))} messages` : ''}`, ''];
  let total: number | undefined;
  if (tokens) {
    try {
      total = tokens.countRecord(value, format);
    } catch {
      total = undefined;
    }
  }
  const approx = tokens?.exact ? '' : '≈';
  if (rows.size) {
    const chars = [...rows.values()].reduce((a, r) => a + r.chars, 0) || 1;
    out.push(total !== undefined ? `| role | messages | characters | ≈ tokens |` : `| role | messages | characters |`, total !== undefined ? '| --- | ---: | ---: | ---: |' : '| --- | ---: | ---: |');
    for (const [role, r] of rows) {
      // Per-role tokens are the record's tokens split by characters: the template's own tokens are shared.
      out.push(`| ${role} | ${r.messages} | ${n(r.chars)} |${total !== undefined ? ` ${n(Math.round((total * r.chars) / chars))} |` : ''}`);
    }
    out.push('');
  }
  if (tokens && total !== undefined) {
    let trainable = '';
    try {
      const t = tokens.countTrainable?.(value, format);
      if (t !== undefined) trainable = ` · trainable ${approx}${n(t)}`;
    } catch {
      // no trainable count for this format
    }
    const over = total > tokens.limit ? ` — **over the limit of ${n(tokens.limit)}** (${tokens.limitSource})` : ` of ${n(tokens.limit)} (${tokens.limitSource})`;
    out.push(`Tokens: ${approx}${n(total)}${over}${trainable} · ${tokens.exact ? tokens.name : `estimate (${tokens.name})`}`);
  } else {
    out.push('Tokens: no tokenizer configured (set `base_model` in llmops.yaml)');
  }
  return out.join('\n');
}
