/**
 * LoRA adapters in PEFT's format: `adapter_config.json` and `adapter_model.safetensors` with PEFT's
 * tensor names (`base_model.model.<module>.lora_A.weight` [r, in], `….lora_B.weight` [out, r]),
 * which `PeftModel.from_pretrained(model, folder)` loads.
 */
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { blockLinears, type DecoderConfig } from './hfConfig';
import { SafetensorsFile, writeFileAtomic, writeSafetensors, type FloatDtype } from './safetensors';

export const ADAPTER_CONFIG = 'adapter_config.json';
export const ADAPTER_WEIGHTS = 'adapter_model.safetensors';

export class AdapterError extends Error {
  override name = 'AdapterError';
}

export interface LoraAdapterConfig {
  r: number;
  alpha: number;
  dropout: number;
  /** Module names as PEFT matches them (suffixes): q_proj, v_proj, … */
  targetModules: string[];
  /** The base model's hub id or folder, as the user named it. */
  baseModel: string;
  /** Rank-stabilised scaling alpha / √r instead of alpha / r. */
  useRslora?: boolean;
}

/** One adapted linear layer: `module` is its path in the transformers model, e.g. model.layers.0.self_attn.q_proj. */
export interface LoraWeights {
  module: string;
  in: number;
  out: number;
  /** [r, in], row-major. */
  a: Float32Array;
  /** [out, r], row-major. */
  b: Float32Array;
}

/** Factor applied to B·A before it is added to the frozen weight. */
export function loraScaling(c: Pick<LoraAdapterConfig, 'r' | 'alpha' | 'useRslora'>): number {
  return c.useRslora ? c.alpha / Math.sqrt(c.r) : c.alpha / c.r;
}

/** The linear layers of `cfg` that `targetModules` adapt, in layer order. */
export function loraModules(cfg: DecoderConfig, targetModules: readonly string[]): { module: string; in: number; out: number }[] {
  const linears = blockLinears(cfg);
  const known = new Set(linears.map((l) => l.module.split('.')[1]));
  const unknown = targetModules.filter((t) => !known.has(t));
  if (unknown.length) throw new AdapterError(`unknown target module ${unknown.join(', ')}: expected some of ${[...known].join(', ')}`);
  const out: { module: string; in: number; out: number }[] = [];
  for (let i = 0; i < cfg.numLayers; i++) {
    for (const l of linears) if (targetModules.includes(l.module.split('.')[1])) out.push({ module: `model.layers.${i}.${l.module}`, in: l.in, out: l.out });
  }
  return out;
}

/** PEFT's saved name of a LoRA matrix. */
export function peftTensorName(module: string, which: 'A' | 'B'): string {
  return `base_model.model.${module}.lora_${which}.weight`;
}

/**
 * adapter_config.json as PEFT's LoraConfig.save_pretrained writes it (sorted keys). The fields are
 * those PEFT 0.14–0.18 all know; newer versions fill the rest with defaults, and older ones drop
 * what they do not know with a warning.
 */
export function adapterConfigJson(c: LoraAdapterConfig): Record<string, unknown> {
  const j: Record<string, unknown> = {
    alpha_pattern: {},
    auto_mapping: null,
    base_model_name_or_path: c.baseModel,
    bias: 'none',
    exclude_modules: null,
    fan_in_fan_out: false,
    inference_mode: true,
    init_lora_weights: true,
    layer_replication: null,
    layers_pattern: null,
    layers_to_transform: null,
    loftq_config: {},
    lora_alpha: c.alpha,
    lora_bias: false,
    lora_dropout: c.dropout,
    megatron_config: null,
    megatron_core: 'megatron.core',
    modules_to_save: null,
    peft_type: 'LORA',
    r: c.r,
    rank_pattern: {},
    revision: null,
    target_modules: [...c.targetModules].sort(),
    task_type: 'CAUSAL_LM',
    use_dora: false,
    use_rslora: c.useRslora ?? false,
  };
  return j;
}

/** Writes adapter_config.json and adapter_model.safetensors into `dir` (created if needed), each atomically. */
export async function writePeftAdapter(dir: string, config: LoraAdapterConfig, weights: readonly LoraWeights[], opts: { dtype?: FloatDtype } = {}): Promise<void> {
  const tensors = [];
  for (const w of weights) {
    if (w.a.length !== config.r * w.in) throw new AdapterError(`${w.module}: lora_A has ${w.a.length} values, expected r × in = ${config.r} × ${w.in}`);
    if (w.b.length !== w.out * config.r) throw new AdapterError(`${w.module}: lora_B has ${w.b.length} values, expected out × r = ${w.out} × ${config.r}`);
    tensors.push({ name: peftTensorName(w.module, 'A'), shape: [config.r, w.in], data: w.a });
    tensors.push({ name: peftTensorName(w.module, 'B'), shape: [w.out, config.r], data: w.b });
  }
  await fs.mkdir(dir, { recursive: true });
  await writeSafetensors(path.join(dir, ADAPTER_WEIGHTS), tensors, { dtype: opts.dtype ?? 'F32' });
  await writeFileAtomic(path.join(dir, ADAPTER_CONFIG), JSON.stringify(adapterConfigJson(config), null, 2) + '\n');
}

export interface PeftAdapter {
  config: LoraAdapterConfig;
  /** The raw adapter_config.json. */
  json: Record<string, unknown>;
  weights: LoraWeights[];
}

/**
 * Reads a PEFT LoRA adapter. With `model`, also checks that every target module of every layer
 * has its two matrices with the shapes the model implies.
 */
export async function readPeftAdapter(dir: string, model?: DecoderConfig): Promise<PeftAdapter> {
  let json: Record<string, unknown>;
  try {
    json = JSON.parse(await fs.readFile(path.join(dir, ADAPTER_CONFIG), 'utf8')) as Record<string, unknown>;
  } catch (e) {
    throw new AdapterError((e as NodeJS.ErrnoException).code === 'ENOENT' ? `${dir}: no ${ADAPTER_CONFIG} (not a PEFT adapter folder)` : `${path.join(dir, ADAPTER_CONFIG)}: ${(e as Error).message}`);
  }
  if (json.peft_type !== 'LORA') throw new AdapterError(`${ADAPTER_CONFIG}: peft_type ${JSON.stringify(json.peft_type)} is not supported (only LORA)`);
  if (json.use_dora === true) throw new AdapterError(`${ADAPTER_CONFIG}: DoRA adapters are not supported`);
  const r = json.r;
  if (typeof r !== 'number' || !Number.isInteger(r) || r < 1) throw new AdapterError(`${ADAPTER_CONFIG}: r must be a positive integer, got ${JSON.stringify(r)}`);
  const alpha = typeof json.lora_alpha === 'number' ? json.lora_alpha : 8;
  const targets = Array.isArray(json.target_modules) ? json.target_modules.filter((t): t is string => typeof t === 'string') : typeof json.target_modules === 'string' ? [json.target_modules] : [];
  const config: LoraAdapterConfig = {
    r,
    alpha,
    dropout: typeof json.lora_dropout === 'number' ? json.lora_dropout : 0,
    targetModules: targets,
    baseModel: typeof json.base_model_name_or_path === 'string' ? json.base_model_name_or_path : '',
    useRslora: json.use_rslora === true,
  };
  const pattern = /^base_model\.model\.(.+)\.lora_([AB])(?:\.[^.]+)?\.weight$/;
  const f = await SafetensorsFile.open(path.join(dir, ADAPTER_WEIGHTS));
  try {
    const byModule = new Map<string, { a?: string; b?: string }>();
    for (const name of f.names()) {
      const m = pattern.exec(name);
      if (!m) throw new AdapterError(`${ADAPTER_WEIGHTS}: tensor ${name} is not a LoRA matrix (base_model.model.<module>.lora_A|lora_B.weight)`);
      const e = byModule.get(m[1]) ?? {};
      e[m[2] === 'A' ? 'a' : 'b'] = name;
      byModule.set(m[1], e);
    }
    const weights: LoraWeights[] = [];
    for (const [module, { a, b }] of byModule) {
      if (!a || !b) throw new AdapterError(`${ADAPTER_WEIGHTS}: ${module} has lora_${a ? 'A' : 'B'} but no lora_${a ? 'B' : 'A'}`);
      const sa = f.info(a).shape;
      const sb = f.info(b).shape;
      if (sa.length !== 2 || sb.length !== 2 || sa[0] !== r || sb[1] !== r) throw new AdapterError(`${ADAPTER_WEIGHTS}: ${module}: lora_A [${sa.join(', ')}] and lora_B [${sb.join(', ')}] do not match r = ${r} ([r, in] and [out, r])`);
      weights.push({ module, in: sa[1], out: sb[0], a: await f.read(a), b: await f.read(b) });
    }
    if (model) {
      const expected = loraModules(model, targets);
      const have = new Map(weights.map((w) => [w.module, w]));
      for (const e of expected) {
        const w = have.get(e.module);
        if (!w) throw new AdapterError(`${ADAPTER_WEIGHTS}: no LoRA matrices for ${e.module}`);
        if (w.in !== e.in || w.out !== e.out) throw new AdapterError(`${ADAPTER_WEIGHTS}: ${e.module} adapts [${w.out}, ${w.in}] but the model's layer is [${e.out}, ${e.in}]`);
        have.delete(e.module);
      }
      if (have.size) throw new AdapterError(`${ADAPTER_WEIGHTS}: ${[...have.keys()][0]} is not a target module of this model`);
    }
    // Layer by layer, in block order (q, k, v, o, gate, up, down), as loraModules lists them.
    const suffixes = ['q_proj', 'k_proj', 'v_proj', 'o_proj', 'gate_proj', 'up_proj', 'down_proj'];
    const key = (m: string): number => Number(/\.layers\.(\d+)\./.exec(m)?.[1] ?? -1) * 100 + suffixes.indexOf(m.slice(m.lastIndexOf('.') + 1));
    weights.sort((x, y) => key(x.module) - key(y.module) || (x.module < y.module ? -1 : x.module > y.module ? 1 : 0));
    return { config, json, weights };
  } finally {
    await f.close();
  }
}
