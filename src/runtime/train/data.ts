/**
 * Training data for SFT: dataset records → token ids and per-token loss weights, then padded
 * batches in a few length buckets.
 *
 * Chat records are rendered with the tokenizer's chat template; only assistant turns carry loss
 * (weight 0 on an assistant message excludes it). An assistant turn's trained span starts where the
 * template's generation prompt ends (the longest common prefix of `render(messages[:k], add_generation_prompt)`
 * and the full rendering) and ends after the first end-of-turn marker (eos, <|im_end|>, <|eot_id|> …)
 * — that works for templates that rewrite earlier turns (Qwen3 drops empty think blocks of
 * earlier turns). Segments are tokenized separately and concatenated: the prompt/answer boundary
 * is then tokenized exactly as a generation prompt is at inference.
 */
import { createHash } from 'node:crypto';
import { existsSync, promises as fs, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import * as path from 'node:path';
import { detectRecordFormat, formatNames } from '../../core/dataset/formats';
import { contentText, isObj } from '../../core/dataset/messages';
import type * as Transformers from '@huggingface/transformers';

export class TrainDataError extends Error {
  override name = 'TrainDataError';
}

/** The parts of a transformers.js tokenizer the trainer uses. */
export interface ChatTokenizer {
  encode(text: string, opts?: { add_special_tokens?: boolean }): number[];
  apply_chat_template(conversation: unknown[], opts: Record<string, unknown>): unknown;
  chat_template?: unknown;
  eos_token?: string | null;
  eos_token_id?: number | null;
}

let transformers: Promise<typeof Transformers> | null = null;

/** Loads the tokenizer of a model folder offline (the bundled transformers.js copy when there is one). */
export async function loadChatTokenizer(folder: string): Promise<ChatTokenizer> {
  if (!existsSync(path.join(folder, 'tokenizer.json'))) throw new TrainDataError(`${folder}: no tokenizer.json (the base model folder must hold its tokenizer)`);
  transformers ??= (async () => {
    const bundled = path.join(__dirname, 'tokenizers', 'hf.js');
    const t = existsSync(bundled) ? (createRequire(__filename)(bundled) as typeof Transformers) : await import('@huggingface/transformers');
    t.env.allowRemoteModels = false;
    t.env.allowLocalModels = true;
    return t;
  })();
  const t = await transformers;
  if (existsSync(path.join(folder, 'tokenizer_config.json'))) return (await t.AutoTokenizer.from_pretrained(folder, { local_files_only: true })) as unknown as ChatTokenizer;
  return new t.PreTrainedTokenizer(JSON.parse(readFileSync(path.join(folder, 'tokenizer.json'), 'utf8')), {}) as unknown as ChatTokenizer;
}

/** One tokenized training example: ids and, per token, the weight of predicting it (0 = no loss). */
export interface Example {
  ids: Int32Array;
  weights: Float32Array;
  /** 1-based line in the dataset file. */
  line: number;
}

export interface DataReport {
  file: string;
  sha256: string;
  format: string;
  records: number;
  examples: number;
  truncated: number;
  dropped: number;
  /** Lines with no trainable token (e.g. every assistant turn has weight 0), left out. */
  noTrainable: number[];
  /** Lines that could not be used: invalid JSON, unsupported format, a template error. */
  invalid: { line: number; reason: string }[];
  tokens: number;
  trainableTokens: number;
  maxLength: number;
  /**
   * Assistant turns with tool calls that the chat template does not render (the turn would train
   * as an empty reply: the model would learn to stop where it should call a tool): left out of the loss.
   */
  toolCallTurnsUntrained?: number;
  /** Records whose `tools` declarations the chat template does not render (trained without them). */
  toolsNotRendered?: number;
}

const endMarkers = ['<|im_end|>', '<|eot_id|>', '<|end_of_text|>', '<end_of_turn>', '<|end|>', '<|endoftext|>', '</s>', '<｜end▁of▁sentence｜>', '<|return|>'];

const str = (v: unknown): string => (typeof v === 'string' ? v : v == null ? '' : JSON.stringify(v));

/** A message as chat templates expect it: string content, tool-call arguments as objects. */
function templateMessage(m: unknown): Record<string, unknown> {
  if (!isObj(m)) return { role: 'user', content: str(m) };
  const out: Record<string, unknown> = { ...m };
  delete out.weight;
  if (typeof out.role !== 'string') out.role = 'user';
  out.content = contentText(m.content) ?? (m.content == null ? '' : JSON.stringify(m.content));
  if (Array.isArray(m.tool_calls))
    out.tool_calls = m.tool_calls.map((c) => {
      if (!isObj(c) || !isObj(c.function) || typeof c.function.arguments !== 'string') return c;
      try {
        return { ...c, function: { ...c.function, arguments: JSON.parse(c.function.arguments) as unknown } };
      } catch {
        return c;
      }
    });
  return out;
}

const PROBE_CALL = 'llmops_probe_call_7f3a';
const PROBE_TOOL = 'llmops_probe_tool_7f3a';

const hasToolCalls = (m: unknown): boolean => isObj(m) && m.role === 'assistant' && Array.isArray(m.tool_calls) && m.tool_calls.length > 0;

export class Encoder {
  private readonly markers: string[];
  private support: { toolCalls: boolean; tools: boolean } | undefined;
  /** Counts of what the template left out, over every record encoded so far (see DataReport). */
  readonly left = { toolCallTurns: 0, toolsRecords: 0 };
  constructor(readonly tok: ChatTokenizer) {
    const tpl = typeof tok.chat_template === 'string' ? tok.chat_template : JSON.stringify(tok.chat_template ?? '');
    this.markers = [...new Set([...(tok.eos_token ? [tok.eos_token] : []), ...endMarkers])].filter((m) => tpl.includes(m) || m === tok.eos_token);
  }

  private render(messages: unknown[], tools: unknown[] | undefined, generation: boolean): string {
    const opts: Record<string, unknown> = { tokenize: false, add_generation_prompt: generation };
    if (tools?.length) opts.tools = tools;
    return this.tok.apply_chat_template(messages, opts) as string;
  }

  private ids(text: string, special = false): number[] {
    return text ? this.tok.encode(text, { add_special_tokens: special }) : [];
  }

  /**
   * Whether the chat template renders assistant tool calls and tool declarations, found once by
   * rendering a probe conversation (some templates, e.g. Llama 3's, drop both without a word).
   */
  templateSupport(): { toolCalls: boolean; tools: boolean } {
    if (!this.support) {
      const call = { id: 'call_0', type: 'function', function: { name: PROBE_CALL, arguments: { q: 1 } } };
      const messages = [
        { role: 'user', content: 'hi' },
        { role: 'assistant', content: '', tool_calls: [call] },
        { role: 'tool', tool_call_id: 'call_0', content: 'ok' },
        { role: 'assistant', content: 'done' },
      ];
      const tools = [{ type: 'function', function: { name: PROBE_TOOL, description: 'probe', parameters: { type: 'object', properties: { q: { type: 'number' } } } } }];
      let text = '';
      try {
        text = this.render(messages, tools, false);
      } catch {
        // A template that rejects the shape rejects such records too: they are counted as invalid.
      }
      this.support = { toolCalls: text.includes(PROBE_CALL), tools: text.includes(PROBE_TOOL) };
    }
    return this.support;
  }

  /** A conversation: loss on assistant turns (weight ≠ 0), scaled by a numeric `weight` if given. */
  chat(raw: unknown[], tools?: unknown[]): { ids: number[]; weights: number[] } {
    if (!this.tok.chat_template) throw new TrainDataError('the tokenizer has no chat template (tokenizer_config.json chat_template): use prompt/completion or text records');
    const support = raw.some(hasToolCalls) || tools?.length ? this.templateSupport() : { toolCalls: true, tools: true };
    if (tools?.length && !support.tools) this.left.toolsRecords++;
    const msgs = raw.map(templateMessage);
    const full = this.render(msgs, tools, false);
    const spans: { start: number; end: number; w: number }[] = [];
    let cursor = 0;
    raw.forEach((m, k) => {
      if (!isObj(m) || m.role !== 'assistant') return;
      let w = typeof m.weight === 'number' ? m.weight : 1;
      if (!support.toolCalls && hasToolCalls(m) && w !== 0) {
        // The template drops the call: the rendered turn is an empty reply, not what the record says.
        w = 0;
        this.left.toolCallTurns++;
      }
      const prompt = this.render(msgs.slice(0, k), tools, true);
      let p = 0;
      const n = Math.min(prompt.length, full.length);
      while (p < n && prompt.charCodeAt(p) === full.charCodeAt(p)) p++;
      p = Math.max(p, cursor);
      let end = full.length;
      for (const mk of this.markers) {
        const i = full.indexOf(mk, p);
        if (i >= 0 && i + mk.length < end) end = i + mk.length;
      }
      cursor = end;
      if (w !== 0 && end > p) spans.push({ start: p, end, w });
    });
    const ids: number[] = [];
    const weights: number[] = [];
    let at = 0;
    const push = (text: string, w: number) => {
      for (const id of this.ids(text)) {
        ids.push(id);
        weights.push(w);
      }
    };
    for (const s of spans) {
      push(full.slice(at, s.start), 0);
      push(full.slice(s.start, s.end), s.w);
      at = s.end;
    }
    push(full.slice(at), 0);
    return { ids, weights };
  }

  /** Plain prompt + completion (loss on the completion and the eos TRL appends), or text (loss on all). */
  text(prompt: string, completion: string | null): { ids: number[]; weights: number[] } {
    const eos = this.tok.eos_token_id;
    const head = this.ids(prompt, true);
    const tail = completion === null ? [] : this.ids(completion);
    const ids = [...head, ...tail];
    const weights = completion === null ? head.map(() => 1) : [...head.map(() => 0), ...tail.map(() => 1)];
    if (typeof eos === 'number') {
      ids.push(eos);
      weights.push(1);
    }
    if (completion === null && weights.length) weights[0] = 0; // the first token is never predicted
    return { ids, weights };
  }

  /** One record of an SFT format. */
  record(r: Record<string, unknown>, format: string): { ids: number[]; weights: number[] } {
    const tools = Array.isArray(r.tools) && r.tools.length ? r.tools : undefined;
    const asList = (v: unknown): unknown[] => (Array.isArray(v) ? v : v === undefined ? [] : [{ role: 'user', content: str(v) }]);
    switch (format) {
      case 'openai-chat':
        if (!Array.isArray(r.messages)) throw new TrainDataError('messages must be a list');
        return this.chat(r.messages, tools);
      case 'trl-prompt-completion':
        if (Array.isArray(r.prompt) || Array.isArray(r.completion)) {
          const completion = Array.isArray(r.completion) ? r.completion : [{ role: 'assistant', content: str(r.completion) }];
          return this.chat([...asList(r.prompt).map((m) => (isObj(m) && m.role === 'assistant' ? { ...m, weight: 0 } : m)), ...completion], tools);
        }
        return this.text(str(r.prompt), str(r.completion));
      case 'trl-text':
        return this.text(str(r.text), null);
      case 'sharegpt': {
        const roles: Record<string, string> = { human: 'user', user: 'user', gpt: 'assistant', assistant: 'assistant', system: 'system', tool: 'tool' };
        if (!Array.isArray(r.conversations)) throw new TrainDataError('conversations must be a list');
        return this.chat(r.conversations.map((t) => (isObj(t) ? { role: roles[str(t.from)] ?? str(t.from), content: str(t.value) } : t)), tools);
      }
      case 'alpaca': {
        const input = str(r.input);
        const messages: unknown[] = [];
        if (typeof r.system === 'string' && r.system) messages.push({ role: 'system', content: r.system });
        messages.push({ role: 'user', content: str(r.instruction) + (input ? `\n\n${input}` : '') }, { role: 'assistant', content: str(r.output) });
        return this.chat(messages);
      }
      default:
        throw new TrainDataError(`records of format ${format} cannot be used for SFT (use openai-chat, trl prompt/completion, trl text, sharegpt or alpaca; preference formats are for method: dpo)`);
    }
  }
}

/**
 * Reads a JSONL training dataset: its report (SHA-256; records counted, lines that are not JSON
 * listed as invalid) and the parsed records with their 1-based lines. Blank lines are skipped.
 */
export async function readDataset(file: string): Promise<{ report: DataReport; records: { line: number; record: unknown }[] }> {
  let buf: Buffer;
  try {
    buf = await fs.readFile(file);
  } catch (e) {
    throw new TrainDataError(`${file}: ${(e as Error).message}`);
  }
  const report: DataReport = { file, sha256: createHash('sha256').update(buf).digest('hex'), format: '', records: 0, examples: 0, truncated: 0, dropped: 0, noTrainable: [], invalid: [], tokens: 0, trainableTokens: 0, maxLength: 0 };
  const records: { line: number; record: unknown }[] = [];
  const lines = buf.toString('utf8').split('\n');
  for (let i = 0; i < lines.length; i++) {
    const text = lines[i].trim();
    if (!text) continue;
    report.records++;
    try {
      records.push({ line: i + 1, record: JSON.parse(text) });
    } catch (e) {
      report.invalid.push({ line: i + 1, reason: `invalid JSON: ${(e as Error).message}` });
    }
  }
  return { report, records };
}

/** Reads and tokenizes a JSONL dataset for SFT. Never silent: truncated, dropped, empty and invalid records are counted. */
export async function loadSftDataset(file: string, enc: Encoder, opts: { maxSeqLen: number; truncation: 'truncate' | 'drop' }): Promise<{ examples: Example[]; report: DataReport }> {
  const { report, records } = await readDataset(file);
  const examples: Example[] = [];
  const formats = new Map<string, number>();
  const left = { ...enc.left };
  for (const { line, record: rec } of records) {
    const i = line - 1;
    const format = formatNames[detectRecordFormat(rec)];
    formats.set(format, (formats.get(format) ?? 0) + 1);
    let ex: { ids: number[]; weights: number[] };
    try {
      ex = enc.record(rec as Record<string, unknown>, format);
    } catch (e) {
      if (e instanceof TrainDataError && /no chat template|cannot be used/.test(e.message)) throw new TrainDataError(`${file}:${i + 1}: ${e.message}`);
      report.invalid.push({ line: i + 1, reason: (e as Error).message });
      continue;
    }
    if (ex.ids.length > opts.maxSeqLen) {
      if (opts.truncation === 'drop') {
        report.dropped++;
        continue;
      }
      report.truncated++;
      ex.ids.length = opts.maxSeqLen;
      ex.weights.length = opts.maxSeqLen;
    }
    // Position 0 is never predicted.
    const trainable = ex.weights.reduce((n, w, k) => n + (k > 0 && w !== 0 ? 1 : 0), 0);
    if (trainable === 0) {
      report.noTrainable.push(i + 1);
      continue;
    }
    report.tokens += ex.ids.length;
    report.trainableTokens += trainable;
    report.maxLength = Math.max(report.maxLength, ex.ids.length);
    examples.push({ ids: Int32Array.from(ex.ids), weights: Float32Array.from(ex.weights), line: i + 1 });
  }
  report.examples = examples.length;
  report.invalid.sort((a, b) => a.line - b.line);
  if (enc.left.toolCallTurns > left.toolCallTurns) report.toolCallTurnsUntrained = enc.left.toolCallTurns - left.toolCallTurns;
  if (enc.left.toolsRecords > left.toolsRecords) report.toolsNotRendered = enc.left.toolsRecords - left.toolsRecords;
  report.format = [...formats.entries()].sort((a, b) => b[1] - a[1]).map(([f, n]) => (formats.size > 1 ? `${f} (${n})` : f)).join(', ');
  return { examples, report };
}

/** One padded micro-batch, ready to feed (see buildLlama for the inputs). */
export interface Batch {
  batch: number;
  seq: number;
  inputIds: BigInt64Array;
  /** Flat indices (into batch·seq) of positions that carry loss, padded to a bucket with index 0 / label -100. */
  pick: BigInt64Array;
  labels: BigInt64Array;
  weights: Float32Array;
  /** Real (unpadded) tokens. */
  tokens: number;
  /** Σ weights (the loss normaliser). */
  weightSum: number;
}

/** The smallest bucket ≥ n: multiples of 64 up to 256, then of 128 (never above `max`). */
export function seqBucket(n: number, max: number): number {
  const step = n <= 256 ? 64 : 128;
  return Math.min(max, Math.max(8, Math.ceil(n / step) * step));
}

/** The smallest of 16, 24, 32, 48, 64, 96, … (powers of two and 1.5×) ≥ n, capped at `total`: few shapes, ≤ 33% padding. */
export function pickBucket(n: number, total: number): number {
  let b = 16;
  while (b < n) b = (b & (b - 1)) === 0 ? (b * 3) / 2 : (b / 3) * 4;
  return Math.min(b, total);
}

/** Right-padded batch (pad id 0 never carries loss; causal attention keeps real tokens from seeing pads). */
export function makeBatch(examples: readonly Example[], maxSeqLen: number): Batch {
  const B = examples.length;
  const S = seqBucket(Math.max(...examples.map((e) => e.ids.length)), maxSeqLen);
  const inputIds = new BigInt64Array(B * S);
  const pick: number[] = [];
  const labels: number[] = [];
  const weights: number[] = [];
  let tokens = 0;
  examples.forEach((e, b) => {
    for (let t = 0; t < e.ids.length; t++) inputIds[b * S + t] = BigInt(e.ids[t]);
    tokens += e.ids.length;
    // Position t predicts token t + 1.
    for (let t = 0; t + 1 < e.ids.length; t++) {
      const w = e.weights[t + 1];
      if (w === 0) continue;
      pick.push(b * S + t);
      labels.push(e.ids[t + 1]);
      weights.push(w);
    }
  });
  const T = pickBucket(pick.length, B * S);
  const p = new BigInt64Array(T);
  const l = new BigInt64Array(T).fill(-100n);
  const w = new Float32Array(T);
  let weightSum = 0;
  for (let i = 0; i < pick.length; i++) {
    p[i] = BigInt(pick[i]);
    l[i] = BigInt(labels[i]);
    w[i] = weights[i];
    weightSum += weights[i];
  }
  return { batch: B, seq: S, inputIds, pick: p, labels: l, weights: w, tokens, weightSum };
}
