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

/** The line being hashed as UTF-16 code units; longer lines are hashed in pieces of this size. */
const PIECE = 1 << 15;
const scratch = Buffer.allocUnsafe(PIECE * 2);
const units = new Uint16Array(scratch.buffer, scratch.byteOffset, PIECE);

/**
 * 53-bit hash of a JSON line with whitespace normalised: dropped between tokens and at the end of
 * strings, runs inside strings collapsed to one space. It runs on every record, so it reads the
 * line's code units from a typed array (one native copy: charCodeAt on a slice of a two-byte file
 * text cost twice as much per character) and hashes a whitespace run not as a character of its
 * own but as a flag (bit 16) on the character after it. Each character is one step of two
 * multiplicative chains (FNV-1a, and a polynomial one with a large odd multiplier); the common
 * character (anything above '"' but the backslash) takes a branch-light fast path. Hashes live in
 * memory only: nothing persisted depends on their values.
 */
export function normalizedLineHash(text: string): number {
  let h1 = 0x811c9dc5 | 0;
  let h2 = 0x2545f491 | 0;
  /** 0x10000 inside a string, else 0. */
  let inString = 0;
  /** 0x10000 after whitespace inside a string, else 0. */
  let pending = 0;
  /** 1 right after a backslash inside a string: the next character is hashed as it is. */
  let escaped = 0;
  const b = units;
  for (let pos = 0; pos < text.length; pos += PIECE) {
    const n = scratch.write(text.length <= PIECE ? text : text.substring(pos, pos + PIECE), 0, 'utf16le') >>> 1;
    for (let i = 0; i < n; i++) {
      const c = b[i];
      let x: number;
      if (c > 0x22 && c !== 0x5c) {
        x = c | pending;
        pending = 0;
        escaped = 0;
      } else if (escaped !== 0) {
        x = c;
        escaped = 0;
      } else if (c === 0x20 || c === 0x09 || c === 0x0d || c === 0x0a) {
        pending |= inString;
        continue;
      } else {
        // Whitespace at the end of a string is dropped.
        x = c === 0x22 ? c : c | pending;
        pending = 0;
        if (c === 0x22) inString ^= 0x10000;
        else if (c === 0x5c && inString !== 0) escaped = 1;
      }
      h1 = Math.imul(h1 ^ x, 0x01000193);
      h2 = Math.imul(h2 + x, 0x5bd1e995);
    }
  }
  // Spread the polynomial chain's high bits into the 21 kept.
  h2 ^= h2 >>> 15;
  h2 = Math.imul(h2, 0x2c1b3c6d);
  h2 ^= h2 >>> 12;
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
