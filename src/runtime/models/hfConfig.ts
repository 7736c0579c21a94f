/**
 * Hugging Face `config.json` of the Llama-family decoders the built-in engine trains (Llama,
 * Mistral, Qwen2, Qwen3), read into one normalised shape, and the tensors (names and shapes, as
 * transformers names them) a model folder must hold for it.
 */
import { promises as fs } from 'node:fs';
import * as path from 'node:path';

export class ModelConfigError extends Error {
  override name = 'ModelConfigError';
}

export type DecoderArch = 'llama' | 'mistral' | 'qwen2' | 'qwen3';

/** transformers architecture class → our family. */
export const supportedArchitectures: Readonly<Record<string, DecoderArch>> = {
  LlamaForCausalLM: 'llama',
  MistralForCausalLM: 'mistral',
  Qwen2ForCausalLM: 'qwen2',
  Qwen3ForCausalLM: 'qwen3',
};

export type RopeScaling =
  | { type: 'linear'; factor: number }
  | { type: 'llama3'; factor: number; lowFreqFactor: number; highFreqFactor: number; originalMaxPositionEmbeddings: number };

/** A decoder's shape and numerics, with transformers' defaults filled for absent fields. */
export interface DecoderConfig {
  arch: DecoderArch;
  /** e.g. "LlamaForCausalLM". */
  architecture: string;
  modelType: string;
  vocabSize: number;
  hiddenSize: number;
  intermediateSize: number;
  numLayers: number;
  numHeads: number;
  numKvHeads: number;
  headDim: number;
  rmsNormEps: number;
  ropeTheta: number;
  ropeScaling: RopeScaling | null;
  maxPositionEmbeddings: number;
  tieWordEmbeddings: boolean;
  /** q/k/v projections have a bias (Qwen2 always; Llama / Qwen3 with attention_bias). */
  qkvBias: boolean;
  /** o_proj has a bias (Llama / Qwen3 with attention_bias). */
  oBias: boolean;
  /** gate/up/down projections have a bias (Llama with mlp_bias). */
  mlpBias: boolean;
  /** RMSNorm over head_dim on queries and keys before RoPE (Qwen3). */
  qkNorm: boolean;
  /** Attention window in tokens when sliding-window attention is on, else null. */
  slidingWindow: number | null;
  initializerRange: number;
  bosTokenId: number | null;
  eosTokenId: number | number[] | null;
  /** The dtype the weights were saved in (`torch_dtype` / `dtype`), if stated. */
  dtype?: string;
}

/** Defaults of the transformers config classes (LlamaConfig, MistralConfig, Qwen2Config, Qwen3Config). */
const defaults: Record<DecoderArch, { maxPos: number; eps: number; theta: number; window: number | null }> = {
  llama: { maxPos: 2048, eps: 1e-6, theta: 10000, window: null },
  mistral: { maxPos: 4096 * 32, eps: 1e-6, theta: 10000, window: 4096 },
  qwen2: { maxPos: 32768, eps: 1e-6, theta: 10000, window: 4096 },
  qwen3: { maxPos: 32768, eps: 1e-6, theta: 10000, window: 4096 },
};

const supportedList = (): string => Object.keys(supportedArchitectures).join(', ');

/** Reads and normalises `config.json` (an object already parsed). Throws ModelConfigError naming the field. */
export function parseHfConfig(json: unknown, source = 'config.json'): DecoderConfig {
  const fail = (m: string): never => {
    throw new ModelConfigError(`${source}: ${m}`);
  };
  if (typeof json !== 'object' || json === null || Array.isArray(json)) return fail('not a JSON object');
  const c = json as Record<string, unknown>;
  const archs = Array.isArray(c.architectures) ? c.architectures.filter((a): a is string => typeof a === 'string') : [];
  let architecture = archs.find((a) => a in supportedArchitectures);
  if (!architecture && !archs.length && typeof c.model_type === 'string') {
    architecture = Object.entries(supportedArchitectures).find(([, f]) => f === c.model_type)?.[0];
  }
  if (!architecture) {
    const what = archs.length ? archs.join(', ') : typeof c.model_type === 'string' ? `model_type ${c.model_type}` : 'no architectures or model_type';
    return fail(`unsupported architecture (${what}): the built-in engine supports ${supportedList()}`);
  }
  const arch = supportedArchitectures[architecture];
  if (c.quantization_config !== undefined && c.quantization_config !== null) fail('quantized models are not supported: use the full-precision (or bf16 / fp16) weights');

  const int = (key: string, fallback?: number, min = 1): number => {
    const v = c[key];
    if (v === undefined || v === null) {
      if (fallback === undefined) fail(`${key} is missing`);
      return fallback as number;
    }
    if (typeof v !== 'number' || !Number.isInteger(v) || v < min) fail(`${key} must be an integer ≥ ${min}, got ${JSON.stringify(v)}`);
    return v as number;
  };
  const num = (key: string, fallback: number): number => {
    const v = c[key];
    if (v === undefined || v === null) return fallback;
    if (typeof v !== 'number' || !Number.isFinite(v) || v <= 0) fail(`${key} must be a positive number, got ${JSON.stringify(v)}`);
    return v as number;
  };
  const bool = (key: string, fallback: boolean): boolean => {
    const v = c[key];
    if (v === undefined || v === null) return fallback;
    if (typeof v !== 'boolean') fail(`${key} must be true or false, got ${JSON.stringify(v)}`);
    return v as boolean;
  };
  const d = defaults[arch];
  const hiddenSize = int('hidden_size');
  const numHeads = int('num_attention_heads');
  const numKvHeads = int('num_key_value_heads', numHeads);
  if (numHeads % numKvHeads !== 0) fail(`num_attention_heads (${numHeads}) must be a multiple of num_key_value_heads (${numKvHeads})`);
  // Qwen3Config's head_dim defaults to 128; the others derive it from hidden_size.
  const headDim = int('head_dim', arch === 'qwen3' ? 128 : Math.floor(hiddenSize / numHeads));
  if (c.head_dim == null && arch !== 'qwen3' && hiddenSize % numHeads !== 0) fail(`hidden_size (${hiddenSize}) must be a multiple of num_attention_heads (${numHeads}) when head_dim is not given`);
  if (headDim % 2 !== 0) fail(`head_dim must be even for rotary embeddings, got ${headDim}`);
  const act = c.hidden_act ?? c.hidden_activation ?? 'silu';
  if (act !== 'silu') fail(`hidden_act ${JSON.stringify(act)} is not supported (the engine implements SwiGLU with silu)`);
  const partial = c.partial_rotary_factor;
  if (partial !== undefined && partial !== null && partial !== 1) fail(`partial_rotary_factor ${JSON.stringify(partial)} is not supported (only 1)`);

  // transformers 5 writes rope_parameters {rope_type, rope_theta, …}; 4.x rope_theta + rope_scaling.
  const params = typeof c.rope_parameters === 'object' && c.rope_parameters !== null && !Array.isArray(c.rope_parameters) ? (c.rope_parameters as Record<string, unknown>) : null;
  let ropeTheta = num('rope_theta', d.theta);
  if (params && params.rope_theta !== undefined) {
    if (typeof params.rope_theta !== 'number' || !(params.rope_theta > 0)) fail(`rope_parameters.rope_theta must be a positive number, got ${JSON.stringify(params.rope_theta)}`);
    ropeTheta = params.rope_theta as number;
  }
  const maxPositionEmbeddings = int('max_position_embeddings', d.maxPos);
  const ropeScaling = parseRopeScaling(c.rope_scaling ?? params, fail, c.rope_scaling != null ? 'rope_scaling' : 'rope_parameters');

  const attentionBias = bool('attention_bias', false);
  const useWindow = arch === 'mistral' ? c.sliding_window != null : bool('use_sliding_window', false);
  let slidingWindow: number | null = null;
  if (useWindow) slidingWindow = int('sliding_window', d.window ?? undefined);

  const tokenId = (key: string): number | number[] | null => {
    const v = c[key];
    if (v === undefined || v === null) return null;
    if (typeof v === 'number' && Number.isInteger(v) && v >= 0) return v;
    if (Array.isArray(v) && v.every((x) => typeof x === 'number' && Number.isInteger(x) && x >= 0)) return v as number[];
    return fail(`${key} must be a token id or a list of them, got ${JSON.stringify(v)}`);
  };
  const bos = tokenId('bos_token_id');
  const dtype = typeof c.torch_dtype === 'string' ? c.torch_dtype : typeof c.dtype === 'string' ? c.dtype : undefined;
  const cfg: DecoderConfig = {
    arch,
    architecture,
    modelType: typeof c.model_type === 'string' ? c.model_type : arch,
    vocabSize: int('vocab_size'),
    hiddenSize,
    intermediateSize: int('intermediate_size'),
    numLayers: int('num_hidden_layers'),
    numHeads,
    numKvHeads,
    headDim,
    rmsNormEps: num('rms_norm_eps', d.eps),
    ropeTheta,
    ropeScaling,
    maxPositionEmbeddings,
    tieWordEmbeddings: bool('tie_word_embeddings', false),
    qkvBias: arch === 'qwen2' || (attentionBias && arch !== 'mistral'),
    oBias: attentionBias && (arch === 'llama' || arch === 'qwen3'),
    mlpBias: arch === 'llama' && bool('mlp_bias', false),
    qkNorm: arch === 'qwen3',
    slidingWindow,
    initializerRange: num('initializer_range', 0.02),
    bosTokenId: Array.isArray(bos) ? (bos[0] ?? null) : bos,
    eosTokenId: tokenId('eos_token_id'),
  };
  if (dtype) cfg.dtype = dtype;
  return cfg;
}

function parseRopeScaling(v: unknown, fail: (m: string) => never, key: string): RopeScaling | null {
  if (v === undefined || v === null) return null;
  if (typeof v !== 'object' || Array.isArray(v)) return fail(`${key} must be an object or null, got ${JSON.stringify(v)}`);
  const s = v as Record<string, unknown>;
  const type = s.rope_type ?? s.type ?? 'default';
  const pos = (k: string): number => {
    const x = s[k];
    if (typeof x !== 'number' || !(x > 0)) fail(`${key}.${k} must be a positive number, got ${JSON.stringify(x)}`);
    return x as number;
  };
  switch (type) {
    case 'default':
      return null;
    case 'linear':
      return { type: 'linear', factor: pos('factor') };
    case 'llama3': {
      const r: RopeScaling = { type: 'llama3', factor: pos('factor'), lowFreqFactor: pos('low_freq_factor'), highFreqFactor: pos('high_freq_factor'), originalMaxPositionEmbeddings: pos('original_max_position_embeddings') };
      if (r.highFreqFactor <= r.lowFreqFactor) fail(`${key}.high_freq_factor must be greater than low_freq_factor`);
      return r;
    }
    default:
      return fail(`${key} type ${JSON.stringify(type)} is not supported (supported: linear, llama3, or none)`);
  }
}

/** Reads `<folder>/config.json`. */
export async function readHfConfig(folder: string): Promise<DecoderConfig> {
  const file = path.join(folder, 'config.json');
  let text: string;
  try {
    text = await fs.readFile(file, 'utf8');
  } catch (e) {
    throw new ModelConfigError((e as NodeJS.ErrnoException).code === 'ENOENT' ? `${folder}: no config.json (not a Hugging Face model folder)` : `${file}: ${(e as Error).message}`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new ModelConfigError(`${file}: invalid JSON: ${(e as Error).message}`);
  }
  return parseHfConfig(json, file);
}

/**
 * RoPE inverse frequencies (head_dim / 2 values) with the configured scaling, as transformers'
 * ROPE_INIT_FUNCTIONS compute them (attention scaling is 1 for default, linear and llama3).
 */
export function ropeInvFreq(cfg: Pick<DecoderConfig, 'headDim' | 'ropeTheta' | 'ropeScaling'>): Float64Array {
  const half = cfg.headDim / 2;
  const inv = new Float64Array(half);
  for (let i = 0; i < half; i++) inv[i] = 1 / cfg.ropeTheta ** ((2 * i) / cfg.headDim);
  const s = cfg.ropeScaling;
  if (!s) return inv;
  if (s.type === 'linear') return inv.map((f) => f / s.factor);
  const lowWavelen = s.originalMaxPositionEmbeddings / s.lowFreqFactor;
  const highWavelen = s.originalMaxPositionEmbeddings / s.highFreqFactor;
  return inv.map((f) => {
    const wavelen = (2 * Math.PI) / f;
    if (wavelen < highWavelen) return f;
    if (wavelen > lowWavelen) return f / s.factor;
    const smooth = (s.originalMaxPositionEmbeddings / wavelen - s.lowFreqFactor) / (s.highFreqFactor - s.lowFreqFactor);
    return (1 - smooth) * (f / s.factor) + smooth * f;
  });
}

export interface ExpectedTensor {
  name: string;
  shape: number[];
}

/** Linear layers of one decoder block: module path suffix → [out, in]. */
export function blockLinears(cfg: DecoderConfig): { module: string; out: number; in: number }[] {
  const q = cfg.numHeads * cfg.headDim;
  const kv = cfg.numKvHeads * cfg.headDim;
  return [
    { module: 'self_attn.q_proj', out: q, in: cfg.hiddenSize },
    { module: 'self_attn.k_proj', out: kv, in: cfg.hiddenSize },
    { module: 'self_attn.v_proj', out: kv, in: cfg.hiddenSize },
    { module: 'self_attn.o_proj', out: cfg.hiddenSize, in: q },
    { module: 'mlp.gate_proj', out: cfg.intermediateSize, in: cfg.hiddenSize },
    { module: 'mlp.up_proj', out: cfg.intermediateSize, in: cfg.hiddenSize },
    { module: 'mlp.down_proj', out: cfg.hiddenSize, in: cfg.intermediateSize },
  ];
}

/** Every tensor a model folder holds for `cfg`, named and shaped as transformers saves them. */
export function expectedTensors(cfg: DecoderConfig): ExpectedTensor[] {
  const out: ExpectedTensor[] = [{ name: 'model.embed_tokens.weight', shape: [cfg.vocabSize, cfg.hiddenSize] }];
  for (let i = 0; i < cfg.numLayers; i++) {
    const p = `model.layers.${i}`;
    for (const l of blockLinears(cfg)) {
      out.push({ name: `${p}.${l.module}.weight`, shape: [l.out, l.in] });
      const attn = l.module.startsWith('self_attn.');
      const bias = attn ? (l.module === 'self_attn.o_proj' ? cfg.oBias : cfg.qkvBias) : cfg.mlpBias;
      if (bias) out.push({ name: `${p}.${l.module}.bias`, shape: [l.out] });
      // transformers' module order: q/k norms follow the attention projections.
      if (l.module === 'self_attn.o_proj' && cfg.qkNorm) {
        out.push({ name: `${p}.self_attn.q_norm.weight`, shape: [cfg.headDim] });
        out.push({ name: `${p}.self_attn.k_norm.weight`, shape: [cfg.headDim] });
      }
    }
    out.push({ name: `${p}.input_layernorm.weight`, shape: [cfg.hiddenSize] });
    out.push({ name: `${p}.post_attention_layernorm.weight`, shape: [cfg.hiddenSize] });
  }
  out.push({ name: 'model.norm.weight', shape: [cfg.hiddenSize] });
  if (!cfg.tieWordEmbeddings) out.push({ name: 'lm_head.weight', shape: [cfg.vocabSize, cfg.hiddenSize] });
  return out;
}

export interface TensorProblem {
  severity: 'error' | 'warning';
  name: string;
  message: string;
}

/** Tensors transformers ignores when loading (old RoPE buffers; lm_head saved next to tied embeddings). */
const ignorable = (name: string, cfg: DecoderConfig): boolean => /\.rotary_emb\.inv_freq$/.test(name) || (cfg.tieWordEmbeddings && name === 'lm_head.weight');

/**
 * Compares the tensors of a folder (name → shape) with what `cfg` needs: missing tensors and
 * shape mismatches are errors, tensors the model would not use are warnings.
 */
export function checkTensors(cfg: DecoderConfig, available: ReadonlyMap<string, readonly number[]>): TensorProblem[] {
  const problems: TensorProblem[] = [];
  const expected = expectedTensors(cfg);
  const names = new Set(expected.map((t) => t.name));
  for (const t of expected) {
    const got = available.get(t.name);
    if (!got) problems.push({ severity: 'error', name: t.name, message: `missing tensor ${t.name} (expected shape [${t.shape.join(', ')}])` });
    else if (got.length !== t.shape.length || got.some((d, i) => d !== t.shape[i])) {
      problems.push({ severity: 'error', name: t.name, message: `tensor ${t.name} has shape [${got.join(', ')}] but config.json implies [${t.shape.join(', ')}]` });
    }
  }
  const extra = [...available.keys()].filter((n) => !names.has(n) && !ignorable(n, cfg));
  for (const n of extra.slice(0, 20)) problems.push({ severity: 'warning', name: n, message: `tensor ${n} is not used by a ${cfg.architecture}` });
  if (extra.length > 20) problems.push({ severity: 'warning', name: extra[20], message: `… and ${extra.length - 20} more unused tensors` });
  if (cfg.tieWordEmbeddings && available.has('lm_head.weight')) {
    const s = available.get('lm_head.weight')!;
    if (s[0] !== cfg.vocabSize || s[1] !== cfg.hiddenSize) problems.push({ severity: 'warning', name: 'lm_head.weight', message: `lm_head.weight [${s.join(', ')}] is ignored: embeddings are tied` });
  }
  return problems;
}

/** Parameters of the model (tied embeddings counted once). */
export function parameterCount(cfg: DecoderConfig): number {
  return expectedTensors(cfg).reduce((a, t) => a + t.shape.reduce((x, y) => x * y, 1), 0);
}
