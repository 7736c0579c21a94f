/**
 * Per-file dataset statistics, accumulated one record at a time (a 1 GB file streams through it):
 * records and formats, tokens per record (min / p50 / p90 / max), trainable tokens, records over
 * the context limit, exact duplicates, role counts, tools called, messages per record.
 * Pure: token counts come from an injected counter (the runtime's tokenizers).
 */
import { detectRecordFormat, formatNames, summarizeFormats, type FormatName } from './formats';
import { isObj, messageLists } from './messages';

/** What stats need from a tokenizer (the lint `TokenCounter` fits). */
export interface StatsTokenCounter {
  exact: boolean;
  name: string;
  /** Infinity or absent when unknown. */
  limit?: number;
  limitSource?: string;
  countRecord(record: Record<string, unknown>, format: string): number;
  countTrainable?(record: Record<string, unknown>, format: string): number;
}

export interface Distribution {
  min: number;
  p50: number;
  p90: number;
  max: number;
  mean: number;
}

export interface DatasetStats {
  records: number;
  /** Lines that are not JSON (or not a JSON object). */
  invalidLines: number;
  /** Dominant format; `mixed` when no format holds 90%; null without records. */
  format: FormatName | 'mixed' | null;
  formats: Partial<Record<FormatName, number>>;
  tokens: {
    tokenizer: string;
    exact: boolean;
    total: number;
    perRecord: Distribution | null;
    /** Loss-carrying tokens: assistant turns with weight ≠ 0, completions, chosen answers. */
    trainable: number | null;
    limit: number | null;
    limitSource: string | null;
    /** Records with more tokens than `limit`. */
    overLimit: number;
  } | null;
  /** Records identical to an earlier record (same JSON after whitespace outside strings). */
  duplicates: number;
  /** Messages per record (conversational formats only). */
  messages: (Distribution & { total: number }) | null;
  /** Messages by role (ShareGPT `from` values as written). */
  roles: Record<string, number>;
  /** Tool calls by function name, most called first. */
  tools: { name: string; calls: number }[];
}

/** A growable Int32Array (4 bytes per record, sorted once at the end). */
class IntList {
  private a = new Int32Array(1024);
  length = 0;
  push(v: number): void {
    if (this.length === this.a.length) {
      const b = new Int32Array(this.a.length * 2);
      b.set(this.a);
      this.a = b;
    }
    this.a[this.length++] = Math.min(v, 0x7fffffff);
  }
  distribution(): Distribution | null {
    if (!this.length) return null;
    const s = this.a.subarray(0, this.length).slice().sort();
    // Nearest-rank quantiles (an actual record's value, as people expect for "p90 tokens").
    const q = (p: number): number => s[Math.min(s.length - 1, Math.max(0, Math.ceil(p * s.length) - 1))];
    let sum = 0;
    for (let i = 0; i < s.length; i++) sum += s[i];
    return { min: s[0], p50: q(0.5), p90: q(0.9), max: s[s.length - 1], mean: Math.round((sum / s.length) * 10) / 10 };
  }
}

/** 53-bit hash of a string (two 32-bit FNV-1a-style lanes): duplicates without keeping the text. */
function hash53(s: string): number {
  let h1 = 0x811c9dc5;
  let h2 = 0x01000193 ^ s.length;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    h1 = Math.imul(h1 ^ c, 0x01000193);
    h2 = Math.imul(h2 ^ c, 0x5bd1e995);
    h2 ^= h2 >>> 15;
  }
  return (h1 >>> 0) * 0x200000 + ((h2 >>> 0) & 0x1fffff);
}

/** Paths of message lists that are alternatives (DPO rejected answers): not the example itself. */
const rejectedKeys = new Set(['rejected', 'non_preferred_output']);

export class StatsAccumulator {
  private records = 0;
  private invalid = 0;
  private readonly formatCounts = new Array<number>(formatNames.length).fill(0);
  private readonly tokens = new IntList();
  private tokenTotal = 0;
  private trainable = 0;
  private overLimit = 0;
  private readonly seen = new Set<number>();
  private duplicates = 0;
  private readonly messages = new IntList();
  private messageTotal = 0;
  private readonly roles = new Map<string, number>();
  private readonly tools = new Map<string, number>();

  constructor(private readonly counter?: StatsTokenCounter) {}

  /** One line of a JSONL file (blank lines are skipped). */
  addLine(text: string): void {
    let blank = true;
    for (let i = 0; i < text.length; i++) {
      const c = text.charCodeAt(i);
      if (c !== 0x20 && c !== 0x09 && c !== 0x0d) {
        blank = false;
        break;
      }
    }
    if (blank) return;
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch {
      this.invalid++;
      return;
    }
    this.addRecord(value);
  }

  /** One parsed record. */
  addRecord(value: unknown, format?: string): void {
    if (!isObj(value)) {
      this.invalid++;
      return;
    }
    this.records++;
    const id = format !== undefined ? Math.max(0, formatNames.indexOf(format as FormatName)) : detectRecordFormat(value);
    this.formatCounts[id]++;
    const fmt = formatNames[id];

    const h = hash53(JSON.stringify(value));
    if (this.seen.has(h)) this.duplicates++;
    else this.seen.add(h);

    if (this.counter) {
      const tokens = this.counter.countRecord(value, fmt);
      this.tokens.push(tokens);
      this.tokenTotal += tokens;
      if (this.counter.limit !== undefined && tokens > this.counter.limit) this.overLimit++;
      if (this.counter.countTrainable) this.trainable += this.counter.countTrainable(value, fmt);
    }

    let count = 0;
    let conversational = false;
    const visit = (m: unknown, roleKey: 'role' | 'from'): void => {
      count++;
      if (!isObj(m)) return;
      const role = m[roleKey];
      if (typeof role === 'string') this.roles.set(role, (this.roles.get(role) ?? 0) + 1);
      if (Array.isArray(m.tool_calls)) {
        for (const c of m.tool_calls) {
          const f = isObj(c) && isObj(c.function) ? c.function : null;
          const name = f && typeof f.name === 'string' ? f.name : null;
          if (name !== null) this.tools.set(name, (this.tools.get(name) ?? 0) + 1);
        }
      }
    };
    if (fmt === 'sharegpt') {
      if (Array.isArray(value.conversations)) {
        conversational = true;
        for (const m of value.conversations) visit(m, 'from');
      }
    } else {
      for (const list of messageLists(value, fmt)) {
        conversational = true;
        if (rejectedKeys.has(String(list.path[list.path.length - 1]))) continue;
        for (const m of list.messages) visit(m, 'role');
      }
    }
    if (conversational) {
      this.messages.push(count);
      this.messageTotal += count;
    }
  }

  result(): DatasetStats {
    const fmt = summarizeFormats(this.formatCounts);
    const c = this.counter;
    const limit = c?.limit !== undefined && Number.isFinite(c.limit) ? c.limit : null;
    const messages = this.messages.distribution();
    return {
      records: this.records,
      invalidLines: this.invalid,
      format: fmt.format,
      formats: fmt.counts,
      tokens: c
        ? {
            tokenizer: c.name,
            exact: c.exact,
            total: this.tokenTotal,
            perRecord: this.tokens.distribution(),
            trainable: c.countTrainable ? this.trainable : null,
            limit,
            limitSource: limit !== null ? (c.limitSource ?? null) : null,
            overLimit: limit !== null ? this.overLimit : 0,
          }
        : null,
      duplicates: this.duplicates,
      messages: messages ? { ...messages, total: this.messageTotal } : null,
      roles: Object.fromEntries([...this.roles].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1))),
      tools: [...this.tools].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1)).map(([name, calls]) => ({ name, calls })),
    };
  }
}

const n = (v: number): string => v.toLocaleString('en-US');

/** The first 12 entries, then how many more (the JSON output has them all). */
const top = (items: string[]): string => items.slice(0, 12).join('   ') + (items.length > 12 ? `   … ${items.length - 12} more` : '');

/** Stats as an aligned table for a terminal. */
export function formatStatsText(file: string, s: DatasetStats): string {
  const rows: [string, string][] = [];
  const approx = s.tokens && !s.tokens.exact ? '≈' : '';
  rows.push(['records', `${n(s.records)}${s.invalidLines ? ` (+ ${n(s.invalidLines)} invalid line${s.invalidLines === 1 ? '' : 's'})` : ''}`]);
  const formats = Object.entries(s.formats);
  rows.push(['format', s.format === null ? '—' : formats.length > 1 ? `${s.format} (${formats.map(([f, c]) => `${f} ${n(c)}`).join(', ')})` : s.format]);
  if (s.tokens) {
    const t = s.tokens;
    rows.push(['tokenizer', `${t.tokenizer}${t.exact ? '' : ' (estimate: no tokenizer found)'}`]);
    rows.push(['tokens', `${approx}${n(t.total)}`]);
    if (t.perRecord) rows.push(['tokens/record', `min ${approx}${n(t.perRecord.min)}   p50 ${approx}${n(t.perRecord.p50)}   p90 ${approx}${n(t.perRecord.p90)}   max ${approx}${n(t.perRecord.max)}   mean ${approx}${n(t.perRecord.mean)}`]);
    if (t.trainable !== null) rows.push(['trainable tokens', `${approx}${n(t.trainable)}${t.total ? ` (${Math.round((100 * t.trainable) / t.total)}%)` : ''}`]);
    rows.push(['over limit', t.limit === null ? `no limit known: no context length for ${t.tokenizer}, no max_seq_len in a *.train.yaml` : `${n(t.overLimit)} record${t.overLimit === 1 ? '' : 's'} over ${n(t.limit)} tokens (${t.limitSource})`]);
  } else rows.push(['tokens', 'no base_model in llmops.yaml (use --model)']);
  rows.push(['duplicates', `${n(s.duplicates)} record${s.duplicates === 1 ? '' : 's'}`]);
  if (s.messages) rows.push(['messages/record', `min ${n(s.messages.min)}   p50 ${n(s.messages.p50)}   p90 ${n(s.messages.p90)}   max ${n(s.messages.max)}   mean ${n(s.messages.mean)}`]);
  const roles = Object.entries(s.roles);
  if (roles.length) rows.push(['roles', top(roles.map(([r, c]) => `${r} ${n(c)}`))]);
  if (s.tools.length) rows.push(['tool calls', top(s.tools.map((t) => `${t.name} ${n(t.calls)}`))]);
  const width = Math.max(...rows.map((r) => r[0].length));
  return `${file}\n${rows.map(([k, v]) => `  ${k.padEnd(width)}  ${v}`).join('\n')}\n`;
}
