/**
 * Training data for DPO: preference records → (chosen, rejected) token sequences that share a prompt,
 * with loss positions on the completion tokens only, then padded batches that hold the chosen
 * sequences first and the rejected ones after them.
 *
 * Accepted formats (the lint issue's preference formats):
 *   OpenAI preference  {input: {messages, tools?}, preferred_output: [msgs], non_preferred_output: [msgs]}
 *   TRL preference     {prompt, chosen, rejected}: strings (standard) or message lists (conversational)
 *   TRL implicit       {chosen, rejected}: the shared prefix is the prompt (TRL's extract_prompt)
 * Conversations are rendered with the chat template (prompt assistant turns carry no loss);
 * standard strings as prompt + completion + eos, as TRL tokenizes them.
 */
import { detectRecordFormat, formatLabels, formatNames } from '../../core/dataset/formats';
import { TrainDataError, makeBatch, readDataset, type Batch, type DataReport, type Encoder, type Example } from './data';

/** One preference pair: the same prompt with the preferred and the dispreferred completion. */
export interface PreferencePair {
  chosen: Example;
  rejected: Example;
  /** 1-based line in the dataset file. */
  line: number;
}

export const preferenceFormats = ['openai-preference', 'trl-preference', 'trl-preference-implicit'] as const;

export const expectedPreferenceFormats =
  'OpenAI preference ({"input": {"messages": [...]}, "preferred_output": [...], "non_preferred_output": [...]}), TRL preference ({"prompt", "chosen", "rejected"} as strings or message lists) or TRL implicit-prompt preference ({"chosen", "rejected"} conversations sharing a prefix)';

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const str = (v: unknown): string => (typeof v === 'string' ? v : v == null ? '' : JSON.stringify(v));

type Part = string | unknown[];

/** TRL's extract_prompt: the longest common prefix of chosen and rejected (without the space before the split). */
export function extractPrompt(chosen: Part, rejected: Part): { prompt: Part; chosen: Part; rejected: Part } {
  const n = Math.min(chosen.length, rejected.length);
  const same = (i: number) => (typeof chosen === 'string' ? chosen[i] === rejected[i] : JSON.stringify(chosen[i]) === JSON.stringify((rejected as unknown[])[i]));
  let idx = 0;
  while (idx < n && same(idx)) idx++;
  if (idx < n && idx > 0 && typeof chosen === 'string' && chosen[idx - 1] === ' ') idx--;
  return { prompt: chosen.slice(0, idx), chosen: chosen.slice(idx), rejected: rejected.slice(idx) };
}

/** The prompt and the two completions of a preference record. */
export function preferenceParts(r: Record<string, unknown>, format: string): { prompt: Part; chosen: Part; rejected: Part; tools?: unknown[] } {
  const part = (v: unknown, key: string): Part => {
    if (typeof v === 'string' || Array.isArray(v)) return v;
    throw new TrainDataError(`${key} must be a string or a list of messages`);
  };
  let tools = Array.isArray(r.tools) && r.tools.length ? r.tools : undefined;
  switch (format) {
    case 'openai-preference': {
      if (!isObj(r.input) || !Array.isArray(r.input.messages)) throw new TrainDataError('input.messages must be a list');
      if (Array.isArray(r.input.tools) && r.input.tools.length) tools = r.input.tools;
      if (!Array.isArray(r.preferred_output) || !Array.isArray(r.non_preferred_output)) throw new TrainDataError('preferred_output and non_preferred_output must be lists of messages');
      return { prompt: r.input.messages, chosen: r.preferred_output, rejected: r.non_preferred_output, tools };
    }
    case 'trl-preference':
      return { prompt: part(r.prompt, 'prompt'), chosen: part(r.chosen, 'chosen'), rejected: part(r.rejected, 'rejected'), tools };
    case 'trl-preference-implicit': {
      const c = part(r.chosen, 'chosen');
      const rj = part(r.rejected, 'rejected');
      if (typeof c !== typeof rj || Array.isArray(c) !== Array.isArray(rj)) throw new TrainDataError('chosen and rejected must both be strings or both be message lists');
      return { ...extractPrompt(c, rj), tools };
    }
    default:
      throw new TrainDataError(`not a preference format (${format})`);
  }
}

/** Tokenizes one side of a pair: prompt then completion, loss (weight 1) on the completion's tokens only. */
export function encodeSide(enc: Encoder, prompt: Part, completion: Part, tools?: unknown[]): { ids: number[]; weights: number[] } {
  let out: { ids: number[]; weights: number[] };
  if (typeof prompt === 'string' && typeof completion === 'string') out = enc.text(prompt, completion);
  else {
    const head = (Array.isArray(prompt) ? prompt : prompt ? [{ role: 'user', content: prompt }] : []).map((m) => (isObj(m) && m.role === 'assistant' ? { ...m, weight: 0 } : m));
    const tail = Array.isArray(completion) ? completion.map((m) => (isObj(m) ? { ...m, weight: 1 } : m)) : [{ role: 'assistant', content: str(completion) }];
    out = enc.chat([...head, ...tail], tools);
  }
  // A sequence's log-probability sums its completion tokens: every trained token counts once.
  return { ids: out.ids, weights: out.weights.map((w) => (w !== 0 ? 1 : 0)) };
}

const trainable = (w: readonly number[]): number => w.reduce((n, x, k) => n + (k > 0 && x !== 0 ? 1 : 0), 0);

/** The tokenizer's BOS id, if it has one (transformers.js tokenizers expose `bos_token_id`). */
function bosId(enc: Encoder): number | undefined {
  const id = (enc.tok as { bos_token_id?: number | null }).bos_token_id;
  return typeof id === 'number' ? id : undefined;
}

/**
 * Fits a pair into `maxSeqLen` tokens the way TRL's DPOTrainer does by default (truncation_mode
 * "keep_end" for the prompt): the prompt is cut from the left first, keeping its last tokens (the
 * part right before the completion), by the amount the longer side needs, so chosen and rejected
 * keep the same prompt tokens; only if a completion alone is still too long is it cut from the right.
 * The prompt is the tokens both sides share before their first trained token.
 *
 * A BOS token at position 0 (Llama 3's templates render `<|begin_of_text|>` first; plain-text prompts
 * start with it where the tokenizer adds it with add_special_tokens) is kept, where a plain left cut
 * (TRL's `prompt_input_ids[-max_prompt_length:]`) would drop it: the model only ever saw sequences
 * that start with it, and without it a mid-sentence token takes the place where the attention-sink
 * BOS always stood. At least one prompt token is kept (the BOS, or else the prompt's last token), so
 * the first completion token is still predicted. Sides are edited in place; returns whether anything
 * was cut.
 */
export function truncatePair(c: { ids: number[]; weights: number[] }, r: { ids: number[]; weights: number[] }, maxSeqLen: number, bos?: number): boolean {
  const longest = Math.max(c.ids.length, r.ids.length);
  if (longest <= maxSeqLen) return false;
  const first = (w: readonly number[]) => {
    const k = w.findIndex((x) => x !== 0);
    return k < 0 ? w.length : k;
  };
  let prompt = 0;
  const limit = Math.min(first(c.weights), first(r.weights));
  while (prompt < limit && c.ids[prompt] === r.ids[prompt]) prompt++;
  const keepBos = bos !== undefined && prompt > 0 && c.ids[0] === bos ? 1 : 0;
  const cut = Math.min(longest - maxSeqLen, Math.max(0, prompt - 1));
  for (const s of [c, r]) {
    s.ids.splice(keepBos, cut);
    s.weights.splice(keepBos, cut);
    if (s.ids.length > maxSeqLen) {
      s.ids.length = maxSeqLen;
      s.weights.length = maxSeqLen;
    }
  }
  return true;
}

/**
 * Reads and tokenizes a JSONL preference dataset. Never silent: pairs longer than max_seq_len are
 * truncated (the prompt from the left first, see truncatePair) or dropped (counted), pairs with no
 * completion token on either side and invalid records are listed. A record of a non-preference format is an error naming the file, line and expected formats.
 */
export async function loadPreferenceDataset(file: string, enc: Encoder, opts: { maxSeqLen: number; truncation: 'truncate' | 'drop' }): Promise<{ pairs: PreferencePair[]; report: DataReport }> {
  const { report, records } = await readDataset(file);
  const pairs: PreferencePair[] = [];
  const formats = new Map<string, number>();
  const bos = bosId(enc);
  for (const { line, record: rec } of records) {
    const i = line - 1;
    const format = formatNames[detectRecordFormat(rec)];
    if (!(preferenceFormats as readonly string[]).includes(format))
      throw new TrainDataError(`${file}:${i + 1}: method dpo needs preference pairs, but this record is ${format === 'unknown' ? 'of no known format' : `${formatLabels[format]} (${format})`}. Expected ${expectedPreferenceFormats}`);
    formats.set(format, (formats.get(format) ?? 0) + 1);
    let c: { ids: number[]; weights: number[] };
    let r: { ids: number[]; weights: number[] };
    try {
      const p = preferenceParts(rec as Record<string, unknown>, format);
      c = encodeSide(enc, p.prompt, p.chosen, p.tools);
      r = encodeSide(enc, p.prompt, p.rejected, p.tools);
    } catch (e) {
      if (e instanceof TrainDataError && /no chat template/.test(e.message)) throw new TrainDataError(`${file}:${i + 1}: ${e.message}`);
      report.invalid.push({ line: i + 1, reason: (e as Error).message });
      continue;
    }
    if (c.ids.length > opts.maxSeqLen || r.ids.length > opts.maxSeqLen) {
      if (opts.truncation === 'drop') {
        report.dropped++;
        continue;
      }
      report.truncated++;
      truncatePair(c, r, opts.maxSeqLen, bos);
    }
    const tc = trainable(c.weights);
    const tr = trainable(r.weights);
    if (tc === 0 || tr === 0) {
      report.noTrainable.push(i + 1);
      continue;
    }
    report.tokens += c.ids.length + r.ids.length;
    report.trainableTokens += tc + tr;
    report.maxLength = Math.max(report.maxLength, c.ids.length, r.ids.length);
    const ex = (s: { ids: number[]; weights: number[] }): Example => ({ ids: Int32Array.from(s.ids), weights: Float32Array.from(s.weights), line: i + 1 });
    pairs.push({ chosen: ex(c), rejected: ex(r), line: i + 1 });
  }
  report.examples = pairs.length;
  report.invalid.sort((a, b) => a.line - b.line);
  report.format = [...formats.entries()].sort((a, b) => b[1] - a[1]).map(([f, n]) => (formats.size > 1 ? `${f} (${n})` : f)).join(', ');
  return { pairs, report };
}

/** A padded batch of P pairs: rows 0..P-1 chosen, P..2P-1 rejected; `segChosen`/`segRejected` [P, tokens] map loss positions to pairs. */
export interface PreferenceBatch extends Batch {
  pairs: number;
  segChosen: Float32Array;
  segRejected: Float32Array;
}

export function makePreferenceBatch(pairs: readonly PreferencePair[], maxSeqLen: number): PreferenceBatch {
  const P = pairs.length;
  const b = makeBatch([...pairs.map((p) => p.chosen), ...pairs.map((p) => p.rejected)], maxSeqLen);
  const T = b.pick.length;
  const segChosen = new Float32Array(P * T);
  const segRejected = new Float32Array(P * T);
  for (let i = 0; i < T; i++) {
    if (b.weights[i] === 0) continue; // padding of the loss positions
    const row = Math.floor(Number(b.pick[i]) / b.seq);
    if (row < P) segChosen[row * T + i] = 1;
    else segRejected[(row - P) * T + i] = 1;
  }
  return { ...b, pairs: P, segChosen, segRejected };
}
