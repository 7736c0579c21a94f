import { contentText, isObj, messageLists } from '../dataset/messages';

/**
 * The words of a record that make it what it is, for near-duplicate detection: user and assistant
 * content, prompts and answers — not the system prompt or tool definitions, which are usually the
 * same in every record and would make all records look alike.
 */
export function recordText(record: Record<string, unknown>, format: string): string {
  const lists = messageLists(record, format);
  if (lists.length) {
    let s = '';
    for (const l of lists) {
      for (const m of l.messages) {
        if (!isObj(m) || m.role === 'system' || m.role === 'developer') continue;
        const t = contentText(m.content);
        if (t) s += t + '\n';
      }
    }
    if (format !== 'trl-prompt-completion' && format !== 'kto' && format !== 'trl-preference') return s;
    // Standard (string) prompt/completion columns next to message lists are not in the lists.
    return s + stringFields(record, ['prompt', 'completion', 'chosen', 'rejected']);
  }
  switch (format) {
    case 'sharegpt':
      return Array.isArray(record.conversations)
        ? record.conversations.map((t) => (isObj(t) && t.from !== 'system' && typeof t.value === 'string' ? t.value : '')).join('\n')
        : '';
    case 'alpaca':
      return stringFields(record, ['instruction', 'input', 'output']);
    case 'trl-stepwise':
      return stringFields(record, ['prompt']) + (Array.isArray(record.completions) ? record.completions.filter((c) => typeof c === 'string').join('\n') : '');
    default:
      return stringFields(record, ['text', 'prompt', 'completion', 'chosen', 'rejected']);
  }
}

function stringFields(record: Record<string, unknown>, keys: string[]): string {
  let s = '';
  for (const k of keys) if (typeof record[k] === 'string') s += (record[k] as string) + '\n';
  return s;
}

/**
 * 53-bit hash of a JSON line with whitespace normalised: dropped between tokens, runs inside
 * strings collapsed to one space. One pass, no copy of the line: it runs on every record, so the
 * common character (anything above '"' but the backslash) takes a branch-light fast path.
 */
export function normalizedLineHash(text: string): number {
  let h1 = 0x811c9dc5 | 0;
  let h2 = 0x2545f491 | 0;
  const n = text.length;
  let inString = false;
  let pendingSpace = false;
  for (let i = 0; i < n; i++) {
    let c = text.charCodeAt(i);
    if (c > 0x22 && c !== 0x5c) {
      if (pendingSpace) {
        h1 = Math.imul(h1 ^ 0x20, 0x01000193);
        h2 = (Math.imul(h2, 31) + 0x20) | 0;
        pendingSpace = false;
      }
      h1 = Math.imul(h1 ^ c, 0x01000193);
      h2 = (Math.imul(h2, 31) + c) | 0;
      continue;
    }
    if (c === 0x20 || c === 0x09 || c === 0x0d || c === 0x0a) {
      if (inString) pendingSpace = true;
      continue;
    }
    if (c === 0x5c && inString) {
      // An escape: hash the backslash and the escaped character as they are.
      h1 = Math.imul(h1 ^ c, 0x01000193);
      h2 = (Math.imul(h2, 31) + c) | 0;
      c = text.charCodeAt(++i);
    } else if (c === 0x22) {
      inString = !inString;
      // Whitespace at the end of a string is dropped too.
      pendingSpace = false;
    }
    if (pendingSpace) {
      h1 = Math.imul(h1 ^ 0x20, 0x01000193);
      h2 = (Math.imul(h2, 31) + 0x20) | 0;
      pendingSpace = false;
    }
    h1 = Math.imul(h1 ^ c, 0x01000193);
    h2 = (Math.imul(h2, 31) + c) | 0;
  }
  return (h1 >>> 0) * 0x200000 + ((h2 >>> 0) & 0x1fffff);
}

/**
 * The prompt of a record — everything the model is given before the answer it is trained to write
 * (user turns, tool results), without the system prompt — for train/eval leakage checks.
 */
export function promptText(record: Record<string, unknown>, format: string): string | null {
  const lists = messageLists(record, format);
  if (format === 'openai-chat') {
    const msgs = lists[0]?.messages ?? [];
    let last = msgs.length - 1;
    while (last >= 0 && !(isObj(msgs[last]) && (msgs[last] as Record<string, unknown>).role === 'assistant')) last--;
    let s = '';
    for (let i = 0; i < last; i++) {
      const m = msgs[i];
      if (isObj(m) && m.role !== 'system' && m.role !== 'developer' && m.role !== 'assistant') s += (contentText(m.content) ?? '') + '\n';
    }
    return s.trim() ? s : null;
  }
  const prompt = lists.find((l) => l.kind === 'prompt');
  if (prompt) {
    let s = '';
    for (const m of prompt.messages) if (isObj(m) && m.role !== 'system' && m.role !== 'developer') s += (contentText(m.content) ?? '') + '\n';
    return s.trim() ? s : null;
  }
  if (typeof record.prompt === 'string') return record.prompt;
  if (format === 'alpaca' && typeof record.instruction === 'string') return `${record.instruction}\n${typeof record.input === 'string' ? record.input : ''}`;
  if (format === 'sharegpt' && Array.isArray(record.conversations)) {
    const first = record.conversations.find((t) => isObj(t) && t.from === 'human');
    return isObj(first) && typeof first.value === 'string' ? first.value : null;
  }
  return null;
}

/** Hash of a text with whitespace runs collapsed (prompts compared across files). */
export function textHash(s: string): number {
  return normalizedLineHash(JSON.stringify(s.trim()));
}

/** Builds the train-eval-overlap reference from a training file's lines (fed as they stream in). */
export class OverlapBuilder {
  readonly records = new Map<number, number>();
  readonly prompts = new Map<number, number>();
  private n = 0;

  add(line: string, detect: (value: unknown) => string): void {
    const i = this.n++;
    if (!line.trim()) return;
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch {
      return;
    }
    const h = normalizedLineHash(line);
    if (!this.records.has(h)) this.records.set(h, i);
    if (typeof value === 'object' && value !== null && !Array.isArray(value)) {
      const prompt = promptText(value as Record<string, unknown>, detect(value));
      if (prompt !== null) {
        const ph = textHash(prompt);
        if (!this.prompts.has(ph)) this.prompts.set(ph, i);
      }
    }
  }
}
