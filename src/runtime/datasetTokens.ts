/**
 * Tokens of a whole dataset, for the cost estimates: per record (line numbers kept, so that the
 * editor can show a record's count and share), time-sliced so that the language server stays
 * responsive, cached by content hash, and — for big files — a sampled estimate first, so that a
 * CodeLens appears within seconds while the exact count goes on.
 */
import { createHash } from 'node:crypto';
import { detectRecordFormat, formatNames } from '../core/dataset/formats';
import { isObj } from '../core/dataset/messages';
import { readFileLines } from './lineAligner';
import { countRecordTokens, type TokenizerHandle } from './tokenizers';

export interface DatasetTokens {
  /** Records counted (lines that parse as a JSON object). */
  records: number;
  /** Lines that are not a record (invalid JSON, not an object); blank lines are not counted. */
  skipped: number;
  tokens: number;
  /** Largest record. */
  maxTokens: number;
  /** 0-based line of each record, and its tokens (same index). Empty for a sampled estimate. */
  lines: Int32Array<ArrayBufferLike>;
  counts: Int32Array<ArrayBufferLike>;
  /** False when the tokenizer is an estimate or only a sample was counted. */
  exact: boolean;
  /** Share of the records counted when this is a sampled estimate (else 1). */
  sampled: number;
  tokenizer: { name: string; kind: TokenizerHandle['kind']; exact: boolean; source: string; reason?: string };
  /** SHA-256 of the text counted (hex). */
  contentHash: string;
  ms: number;
}

/** Σ min(tokens, limit): what a hosted trainer bills when longer examples are truncated. */
export function clippedSum(t: DatasetTokens, limit: number | undefined): number {
  if (!limit || !Number.isFinite(limit)) return t.tokens;
  if (t.sampled < 1) return Math.round(Math.min(t.tokens, t.records * limit));
  let s = 0;
  for (let i = 0; i < t.counts.length; i++) s += Math.min(t.counts[i], limit);
  return s;
}

export function tokenizerInfo(h: TokenizerHandle): DatasetTokens['tokenizer'] {
  return { name: h.name, kind: h.kind, exact: h.exact, source: h.source, ...(h.reason ? { reason: h.reason } : {}) };
}

export function contentHash(text: string | Buffer): string {
  return createHash('sha256').update(text).digest('hex');
}

function isBlank(l: string): boolean {
  const c = l.charCodeAt(0);
  return l.length === 0 || ((c === 0x20 || c === 0x09 || c === 0x0d) && !l.trim());
}

/** Tokens of one JSONL line, or -1 when it is not a record (blank lines: -2). */
function lineTokens(h: TokenizerHandle, line: string, format: string | undefined): number {
  if (isBlank(line)) return -2;
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    return -1;
  }
  if (!isObj(value)) return -1;
  try {
    return countRecordTokens(h, value, format ?? formatNames[detectRecordFormat(value)]);
  } catch {
    return -1;
  }
}

export interface CountOptions {
  /** Force a record format (llmops.yaml `lint.format`). */
  format?: string;
  /** Give the event loop a turn every `sliceMs` (default 12); 0 counts in one go. */
  sliceMs?: number;
  /** Stop early (returns null) when this says so, e.g. the document changed. */
  cancelled?: () => boolean;
  /** Per-line memo: unchanged lines of an edited document are not tokenized again. */
  memo?: Map<string, number>;
  onProgress?: (done: number, total: number) => void;
}

const turn = (): Promise<void> => new Promise((r) => setImmediate(r));

/**
 * Counts every record of `lines` (a document's lines or a file split on `\n`; a trailing `\r` is
 * harmless to JSON.parse). Resolves to null when cancelled.
 */
export async function countDatasetTokens(lines: readonly string[], h: TokenizerHandle, hash: string, opts: CountOptions = {}): Promise<DatasetTokens | null> {
  const t0 = performance.now();
  const slice = opts.sliceMs ?? 12;
  const lineNos: number[] = [];
  const counts: number[] = [];
  let skipped = 0;
  let tokens = 0;
  let max = 0;
  let sliceStart = performance.now();
  const memo = opts.memo;
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i];
    let n = memo?.get(line);
    if (n === undefined) {
      n = lineTokens(h, line, opts.format);
      if (memo && n >= 0 && line.length > 0) memo.set(line, n);
    }
    if (n === -1) skipped++;
    else if (n >= 0) {
      lineNos.push(i);
      counts.push(n);
      tokens += n;
      if (n > max) max = n;
    }
    if (slice > 0 && (i & 63) === 63 && performance.now() - sliceStart > slice) {
      opts.onProgress?.(i + 1, lines.length);
      await turn();
      if (opts.cancelled?.()) return null;
      sliceStart = performance.now();
    }
  }
  return {
    records: counts.length,
    skipped,
    tokens,
    maxTokens: max,
    lines: Int32Array.from(lineNos),
    counts: Int32Array.from(counts),
    exact: h.exact,
    sampled: 1,
    tokenizer: tokenizerInfo(h),
    contentHash: hash,
    ms: performance.now() - t0,
  };
}

/**
 * A quick estimate for big files: records counted exactly (cheap), tokens from an evenly spread
 * sample of records scaled by characters, for at most `budgetMs`. Marked as not exact.
 */
export function sampleDatasetTokens(lines: readonly string[], h: TokenizerHandle, hash: string, budgetMs: number, format?: string): DatasetTokens {
  const t0 = performance.now();
  let records = 0;
  let chars = 0;
  for (const l of lines) {
    if (!isBlank(l)) {
      records++;
      chars += l.length;
    }
  }
  // Visit records in a bit-reversed order of strides so that any prefix of the visit is spread over the file.
  let sampleTokens = 0;
  let sampleChars = 0;
  let sampled = 0;
  let skipped = 0;
  let max = 0;
  const step = Math.max(1, Math.floor(lines.length / 4096));
  const visit: number[] = [];
  for (let phase = 0; phase < step && visit.length < lines.length; phase++) for (let i = phase; i < lines.length; i += step) visit.push(i);
  for (const i of visit) {
    if (performance.now() - t0 > budgetMs) break;
    const n = lineTokens(h, lines[i], format);
    if (n === -2) continue;
    sampled++;
    if (n === -1) {
      skipped++;
      continue;
    }
    sampleTokens += n;
    sampleChars += lines[i].length;
    if (n > max) max = n;
  }
  const complete = sampled >= records;
  const perChar = sampleChars ? sampleTokens / sampleChars : 0;
  return {
    records: complete ? records - skipped : Math.round(records * (1 - (sampled ? skipped / sampled : 0))),
    skipped: complete ? skipped : Math.round(records * (sampled ? skipped / sampled : 0)),
    tokens: complete ? sampleTokens : Math.round(perChar * chars),
    maxTokens: max,
    lines: new Int32Array(0),
    counts: new Int32Array(0),
    exact: false,
    sampled: records ? Math.min(1, sampled / records) : 1,
    tokenizer: tokenizerInfo(h),
    contentHash: hash,
    ms: performance.now() - t0,
  };
}

/** Recent results by content hash and tokenizer; small (a few big results are megabytes at most). */
export class TokenCountCache {
  private readonly map = new Map<string, DatasetTokens>();
  constructor(private readonly max = 32) {}
  private key(hash: string, tokenizerId: string, format: string | undefined): string {
    return `${hash}\u0000${tokenizerId}\u0000${format ?? ''}`;
  }
  get(hash: string, tokenizerId: string, format?: string): DatasetTokens | undefined {
    const k = this.key(hash, tokenizerId, format);
    const v = this.map.get(k);
    if (v) {
      this.map.delete(k);
      this.map.set(k, v);
    }
    return v;
  }
  set(hash: string, tokenizerId: string, format: string | undefined, v: DatasetTokens): void {
    const k = this.key(hash, tokenizerId, format);
    this.map.delete(k);
    this.map.set(k, v);
    while (this.map.size > this.max) this.map.delete(this.map.keys().next().value as string);
  }
}

/** The index of the record on `line` in a result, or -1. */
export function recordAt(t: DatasetTokens, line: number): number {
  let lo = 0;
  let hi = t.lines.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    const v = t.lines[mid];
    if (v === line) return mid;
    if (v < line) lo = mid + 1;
    else hi = mid - 1;
  }
  return -1;
}

/** Counts a file on disk, streamed (bounded memory beyond the per-record counts). Throws on I/O errors. */
export async function countFileTokens(file: string, h: TokenizerHandle, format?: string): Promise<DatasetTokens> {
  const t0 = performance.now();
  const hash = createHash('sha256');
  let lineNo = 0;
  let lineNos: Int32Array = new Int32Array(1024);
  let counts: Int32Array = new Int32Array(1024);
  let records = 0;
  let skipped = 0;
  let tokens = 0;
  let max = 0;
  const add = (line: string): void => {
    const n = lineTokens(h, line, format);
    if (n === -1) skipped++;
    else if (n >= 0) {
      if (records === counts.length) {
        const grow = (a: Int32Array): Int32Array => {
          const b = new Int32Array(a.length * 2);
          b.set(a);
          return b;
        };
        lineNos = grow(lineNos);
        counts = grow(counts);
      }
      lineNos[records] = lineNo;
      counts[records++] = n;
      tokens += n;
      if (n > max) max = n;
    }
    lineNo++;
  };
  await readFileLines(file, add, (chunk) => hash.update(chunk));
  return {
    records,
    skipped,
    tokens,
    maxTokens: max,
    lines: lineNos.slice(0, records),
    counts: counts.slice(0, records),
    exact: h.exact,
    sampled: 1,
    tokenizer: tokenizerInfo(h),
    contentHash: hash.digest('hex'),
    ms: performance.now() - t0,
  };
}
