/**
 * Parameter counts and layer shapes of dense decoder-only models (Llama, Mistral, Qwen2/3, Gemma,
 * SmolLM, Phi-3), computed from config.json the way transformers builds the modules, so the count
 * matches the checkpoint rather than the rounded number in the model's name.
 */

export interface ModelArch {
  params: number;
  layers: number;
  hidden: number;
  heads: number;
  kvHeads: number;
  /** Intermediate size of the gated MLP (gate/up: hidden → ffn, down: ffn → hidden). */
  ffn: number;
  vocab: number;
  tiedEmbeddings: boolean;
  /** Per-head size; hidden / heads unless the config says otherwise (Qwen3, Gemma). */
  headDim?: number;
  /** Biases on q/k/v (Qwen2) or on q/k/v/o (`attention_bias: true`). */
  qkvBias?: boolean;
  oBias?: boolean;
  /** Per-head RMSNorm on q and k (Qwen3, Gemma 3). */
  qkNorm?: boolean;
  /** RMSNorms per decoder layer: 2, or 4 for Gemma 2/3 (pre and post norms). */
  normsPerLayer?: number;
  modelType?: string;
  source: string;
}

/** The linear layers of one decoder layer, by their PEFT target-module names: [in, out] features. */
export function linearShapes(arch: ModelArch): Record<'q_proj' | 'k_proj' | 'v_proj' | 'o_proj' | 'gate_proj' | 'up_proj' | 'down_proj', [number, number]> {
  const d = arch.headDim ?? arch.hidden / arch.heads;
  const q = arch.heads * d;
  const kv = arch.kvHeads * d;
  return {
    q_proj: [arch.hidden, q],
    k_proj: [arch.hidden, kv],
    v_proj: [arch.hidden, kv],
    o_proj: [q, arch.hidden],
    gate_proj: [arch.hidden, arch.ffn],
    up_proj: [arch.hidden, arch.ffn],
    down_proj: [arch.ffn, arch.hidden],
  };
}

/** Parameters of one kind: embeddings (and an untied lm_head), decoder linears, and the rest (norms, biases). */
export function paramBreakdown(arch: ModelArch): { embeddings: number; lmHead: number; linear: number; other: number } {
  const shapes = linearShapes(arch);
  const d = arch.headDim ?? arch.hidden / arch.heads;
  let linear = 0;
  for (const [i, o] of Object.values(shapes)) linear += i * o;
  let other = (arch.normsPerLayer ?? 2) * arch.hidden;
  if (arch.qkvBias) other += shapes.q_proj[1] + 2 * shapes.k_proj[1];
  if (arch.oBias) other += arch.hidden;
  if (arch.qkNorm) other += 2 * d;
  return {
    embeddings: arch.vocab * arch.hidden,
    lmHead: arch.tiedEmbeddings ? 0 : arch.vocab * arch.hidden,
    linear: linear * arch.layers,
    other: other * arch.layers + arch.hidden,
  };
}

const llamaLike = new Set(['llama', 'mistral', 'qwen2', 'qwen3', 'gemma', 'gemma2', 'gemma3', 'gemma3_text', 'phi3', 'smollm3']);
/** transformers config classes whose `tie_word_embeddings` defaults to True. */
const tiedByDefault = new Set(['gemma', 'gemma2', 'gemma3', 'gemma3_text']);

/**
 * Architecture of a dense Llama-style model from its config.json (a multimodal config's
 * `text_config` is used when present). Undefined for mixture-of-experts and other families, whose
 * parameter count needs a different formula.
 */
export function archFromConfig(configJson: unknown, source = 'config.json'): ModelArch | undefined {
  if (!isObject(configJson)) return undefined;
  const c: Record<string, unknown> = isObject(configJson.text_config) ? { ...configJson, ...configJson.text_config } : configJson;
  const modelType = typeof c.model_type === 'string' ? c.model_type : undefined;
  if (modelType !== undefined && !llamaLike.has(modelType)) return undefined;
  for (const moe of ['num_local_experts', 'num_experts', 'n_routed_experts']) if (typeof c[moe] === 'number' && c[moe] > 1) return undefined;
  const hidden = posInt(c.hidden_size);
  const layers = posInt(c.num_hidden_layers);
  const heads = posInt(c.num_attention_heads);
  const ffn = posInt(c.intermediate_size);
  const vocab = posInt(c.vocab_size);
  if (!hidden || !layers || !heads || !ffn || !vocab) return undefined;
  const kvHeads = posInt(c.num_key_value_heads) ?? heads;
  const headDim = posInt(c.head_dim) ?? hidden / heads;
  if (!Number.isInteger(headDim)) return undefined;
  const tied = typeof c.tie_word_embeddings === 'boolean' ? c.tie_word_embeddings : tiedByDefault.has(modelType ?? '');
  const attentionBias = c.attention_bias === true;
  const arch: ModelArch = {
    params: 0,
    layers,
    hidden,
    heads,
    kvHeads,
    ffn,
    vocab,
    tiedEmbeddings: tied,
    source,
  };
  if (modelType) arch.modelType = modelType;
  if (headDim !== hidden / heads) arch.headDim = headDim;
  // Qwen2 hard-codes q/k/v biases (its config has no flag); `attention_bias` puts them on o_proj too.
  if (modelType === 'qwen2' || attentionBias) arch.qkvBias = true;
  if (attentionBias) arch.oBias = true;
  if (modelType === 'qwen3' || modelType === 'gemma3' || modelType === 'gemma3_text') arch.qkNorm = true;
  if (modelType === 'gemma2' || modelType === 'gemma3' || modelType === 'gemma3_text') arch.normsPerLayer = 4;
  const b = paramBreakdown(arch);
  arch.params = b.embeddings + b.lmHead + b.linear + b.other;
  if (c.mlp_bias === true) arch.params += layers * (2 * ffn + hidden);
  return arch;
}

interface KnownConfig {
  id: string;
  aliases?: string[];
  config: Record<string, unknown>;
}

const cfg = (model_type: string, hidden_size: number, intermediate_size: number, num_hidden_layers: number, num_attention_heads: number, num_key_value_heads: number, vocab_size: number, tie_word_embeddings: boolean, head_dim?: number): Record<string, unknown> => ({
  model_type,
  hidden_size,
  intermediate_size,
  num_hidden_layers,
  num_attention_heads,
  num_key_value_heads,
  vocab_size,
  tie_word_embeddings,
  ...(head_dim ? { head_dim } : {}),
});

/** config.json values of common hub models (their Instruct/-it variants share them). */
const known: KnownConfig[] = [
  { id: 'HuggingFaceTB/SmolLM2-135M', config: cfg('llama', 576, 1536, 30, 9, 3, 49152, true) },
  { id: 'HuggingFaceTB/SmolLM2-360M', config: cfg('llama', 960, 2560, 32, 15, 5, 49152, true) },
  { id: 'HuggingFaceTB/SmolLM2-1.7B', config: cfg('llama', 2048, 8192, 24, 32, 32, 49152, true) },
  { id: 'Qwen/Qwen2.5-0.5B', config: cfg('qwen2', 896, 4864, 24, 14, 2, 151936, true) },
  { id: 'Qwen/Qwen2.5-1.5B', config: cfg('qwen2', 1536, 8960, 28, 12, 2, 151936, true) },
  { id: 'Qwen/Qwen2.5-3B', config: cfg('qwen2', 2048, 11008, 36, 16, 2, 151936, true) },
  { id: 'Qwen/Qwen2.5-7B', config: cfg('qwen2', 3584, 18944, 28, 28, 4, 152064, false) },
  { id: 'Qwen/Qwen3-0.6B', config: cfg('qwen3', 1024, 3072, 28, 16, 8, 151936, true, 128) },
  { id: 'Qwen/Qwen3-1.7B', config: cfg('qwen3', 2048, 6144, 28, 16, 8, 151936, true, 128) },
  { id: 'Qwen/Qwen3-4B', config: cfg('qwen3', 2560, 9728, 36, 32, 8, 151936, true, 128) },
  { id: 'Qwen/Qwen3-8B', config: cfg('qwen3', 4096, 12288, 36, 32, 8, 151936, false, 128) },
  { id: 'meta-llama/Llama-3.2-1B', config: cfg('llama', 2048, 8192, 16, 32, 8, 128256, true) },
  { id: 'meta-llama/Llama-3.2-3B', config: cfg('llama', 3072, 8192, 28, 24, 8, 128256, true) },
  { id: 'meta-llama/Llama-3.1-8B', aliases: ['llama-3-8b'], config: cfg('llama', 4096, 14336, 32, 32, 8, 128256, false) },
  { id: 'mistralai/Mistral-7B-v0.1', aliases: ['mistral-7b', 'mistral-7b-v0.2'], config: cfg('mistral', 4096, 14336, 32, 32, 8, 32000, false) },
  { id: 'mistralai/Mistral-7B-v0.3', config: cfg('mistral', 4096, 14336, 32, 32, 8, 32768, false) },
  { id: 'google/gemma-2-2b', config: cfg('gemma2', 2304, 9216, 26, 8, 4, 256000, true, 256) },
  { id: 'google/gemma-2-9b', config: cfg('gemma2', 3584, 14336, 42, 16, 8, 256000, true, 256) },
  { id: 'TinyLlama/TinyLlama-1.1B-Chat-v1.0', config: cfg('llama', 2048, 5632, 22, 32, 4, 32000, false) },
];

let knownIndex: Map<string, ModelArch> | undefined;

/**
 * Architecture of a common hub model by id, local folder name or a variant of either (Instruct, -it,
 * -chat, -base, bnb-4bit): "meta-llama/Llama-3.1-8B-Instruct" and "./models/Meta-Llama-3.1-8B" both
 * find Llama-3.1-8B.
 */
export function knownArch(modelId: string): ModelArch | undefined {
  if (!knownIndex) {
    knownIndex = new Map();
    for (const k of known) {
      const arch = archFromConfig(k.config, `config.json of ${k.id} (Hugging Face hub)`);
      if (!arch) continue;
      for (const name of [k.id, ...(k.aliases ?? [])]) knownIndex.set(modelKey(name), arch);
    }
  }
  const a = knownIndex.get(modelKey(modelId));
  return a ? { ...a } : undefined;
}

/** The size in a model's name ("Qwen2.5-0.5B" → 5e8, "SmolLM2-135M" → 1.35e8), for size-tiered prices. */
export function paramsFromName(modelId: string): number | undefined {
  const m = /(?:^|[^a-z0-9.])(\d+(?:\.\d+)?)([bm])(?![a-z0-9])/i.exec(lastSegment(modelId));
  if (!m) return undefined;
  return Number(m[1]) * (m[2]!.toLowerCase() === 'b' ? 1e9 : 1e6);
}

const variantTokens = new Set(['instruct', 'it', 'chat', 'base', 'hf', 'bnb', '4bit', 'unsloth']);

function modelKey(id: string): string {
  return lastSegment(id)
    .toLowerCase()
    .replace(/^meta-(?=llama)/, '')
    .split('-')
    .filter((t) => !variantTokens.has(t))
    .join('-');
}

function lastSegment(id: string): string {
  const parts = id.trim().replace(/[\\/]+$/, '').split(/[\\/]/);
  return parts[parts.length - 1] ?? '';
}

function posInt(v: unknown): number | undefined {
  return typeof v === 'number' && Number.isInteger(v) && v > 0 ? v : undefined;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
