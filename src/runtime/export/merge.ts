/**
 * Merges a PEFT LoRA adapter into its base model: W' = W + s·B·A for every adapted linear layer
 * (s = alpha / r, or alpha / √r with rslora), written as a complete Hugging Face folder (config.json,
 * generation_config.json, model.safetensors in float32, tokenizer files). Tensor by tensor: the
 * writer asks for each merged tensor when its turn comes, so only one base tensor is in memory.
 */
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { checkTensors, readHfConfig, type DecoderConfig } from '../models/hfConfig';
import { ADAPTER_CONFIG, AdapterError, loraScaling, readPeftAdapter } from '../models/peft';
import { SafetensorsModel, SINGLE_FILE, writeFileAtomic, writeSafetensors } from '../models/safetensors';
import { ExportError } from './decoderGraph';
import { copySideFiles, defaultGenerationConfig } from './onnxExport';

export interface AdapterSource {
  adapterDir: string;
  /** The base model folder (holds config.json). */
  baseDir: string;
  /** The run folder when the input was one. */
  runDir?: string;
  /** Said when the adapter is not the run's final one (a checkpoint of an unfinished run). */
  note?: string;
}

const exists = async (p: string): Promise<boolean> =>
  fs.access(p).then(
    () => true,
    () => false,
  );

async function readJson(file: string): Promise<Record<string, unknown>> {
  try {
    const v: unknown = JSON.parse(await fs.readFile(file, 'utf8'));
    if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new Error('not a JSON object');
    return v as Record<string, unknown>;
  } catch (e) {
    throw new ExportError(`${file}: ${(e as Error).message}`);
  }
}

/** The newest checkpoints/step-N/adapter of a run that holds an adapter, if any. */
async function latestCheckpointAdapter(runDir: string): Promise<string | undefined> {
  let names: string[];
  try {
    names = await fs.readdir(path.join(runDir, 'checkpoints'));
  } catch {
    return undefined;
  }
  const steps = names.map((n) => /^step-(\d+)$/.exec(n)).filter((m): m is RegExpExecArray => m !== null).sort((a, b) => Number(b[1]) - Number(a[1]));
  for (const m of steps) {
    const dir = path.join(runDir, 'checkpoints', m[0], 'adapter');
    if (await exists(path.join(dir, ADAPTER_CONFIG))) return dir;
  }
  return undefined;
}

/**
 * Finds the adapter and its base model for a run folder (run.json: its adapter/, else the newest
 * checkpoint's, and run.json's base_model) or an adapter folder (adapter_config.json's
 * base_model_name_or_path, a path relative to the adapter folder, its parent or `cwd`).
 * `base` overrides the base model.
 */
export async function resolveAdapterSource(input: string, cwd: string, base?: string): Promise<AdapterSource> {
  const dir = path.resolve(cwd, input);
  if (!(await exists(dir))) throw new ExportError(`${input}: no such folder`);
  let adapterDir: string;
  let runDir: string | undefined;
  let note: string | undefined;
  const candidates: string[] = [];
  if (await exists(path.join(dir, ADAPTER_CONFIG))) adapterDir = dir;
  else if (await exists(path.join(dir, 'run.json'))) {
    runDir = dir;
    const run = await readJson(path.join(dir, 'run.json'));
    if (await exists(path.join(dir, 'adapter', ADAPTER_CONFIG))) adapterDir = path.join(dir, 'adapter');
    else {
      const ckpt = await latestCheckpointAdapter(dir);
      if (!ckpt) throw new ExportError(`${input}: the run has no adapter yet (no adapter/${ADAPTER_CONFIG}, no checkpoint with one; status ${JSON.stringify(run.status ?? 'unknown')})`);
      adapterDir = ckpt;
      note = `the run has no final adapter (status ${JSON.stringify(run.status ?? 'unknown')}): using its latest checkpoint ${path.relative(dir, path.dirname(ckpt))}`;
    }
    if (typeof run.base_model === 'string') candidates.push(path.resolve(dir, run.base_model));
    const cfg = run.config as Record<string, unknown> | undefined;
    if (typeof cfg?.base_model === 'string' && typeof run.config_dir === 'string') candidates.push(path.resolve(run.config_dir, cfg.base_model));
  } else if (await exists(path.join(dir, 'config.json'))) {
    throw new ExportError(`${input} is a model folder, not a run or an adapter: export it with --onnx (without --merge)`);
  } else throw new ExportError(`${input}: not a run folder (run.json) or a PEFT adapter folder (${ADAPTER_CONFIG})`);

  if (base !== undefined) {
    const b = path.resolve(cwd, base);
    if (!(await exists(path.join(b, 'config.json')))) throw new ExportError(`--base ${base}: no config.json in ${b}`);
    return { adapterDir, baseDir: b, runDir, note };
  }
  const ac = await readJson(path.join(adapterDir, ADAPTER_CONFIG));
  const named = typeof ac.base_model_name_or_path === 'string' ? ac.base_model_name_or_path : '';
  if (named) {
    if (path.isAbsolute(named)) candidates.push(named);
    else candidates.push(path.resolve(adapterDir, named), path.resolve(adapterDir, '..', named), path.resolve(cwd, named));
  }
  for (const c of [...new Set(candidates)]) if (await exists(path.join(c, 'config.json'))) return { adapterDir, baseDir: c, runDir, note };
  const tried = [...new Set(candidates)];
  throw new ExportError(
    `cannot find the base model${named ? ` ${JSON.stringify(named)}` : ''} of ${input}` +
      (tried.length ? ` (no config.json in ${tried.join(', ')})` : ` (${ADAPTER_CONFIG} has no base_model_name_or_path)`) +
      ': pass --base <model folder> (hub ids are not downloaded)',
  );
}

/**
 * w [out, in] += scale · b [out, r] · a [r, in], in place: each entry is Σₖ b·a accumulated in
 * float64 (k ascending), scaled, added to w and rounded once to float32.
 */
export function mergeLinear(w: Float32Array, a: Float32Array, b: Float32Array, out: number, inDim: number, r: number, scale: number): void {
  const acc = new Float64Array(inDim);
  for (let o = 0; o < out; o++) {
    acc.fill(0);
    for (let k = 0; k < r; k++) {
      const bk = b[o * r + k];
      const row = k * inDim;
      for (let i = 0; i < inDim; i++) acc[i] += bk * a[row + i];
    }
    const base = o * inDim;
    for (let i = 0; i < inDim; i++) w[base + i] = w[base + i] + scale * acc[i];
  }
}

export interface MergeResult {
  out: string;
  config: DecoderConfig;
  /** Linear layers changed. */
  modules: number;
  scale: number;
  tensors: number;
  ms: number;
}

/** Writes base + adapter into `out` (a new folder, or one holding a model when `force`). */
export async function mergeAdapter(src: Pick<AdapterSource, 'adapterDir' | 'baseDir'>, out: string, opts: { force?: boolean } = {}): Promise<MergeResult> {
  const t0 = performance.now();
  const outDir = path.resolve(out);
  for (const d of [src.adapterDir, src.baseDir])
    if (path.resolve(d) === outDir) throw new ExportError(`--out ${out} is the ${d === src.baseDir ? 'base model' : 'adapter'} folder: write the merged model somewhere else`);
  if (!opts.force && (await exists(path.join(outDir, 'config.json')))) throw new ExportError(`${out} already holds a model (config.json): pass --force to replace it`);

  const cfg = await readHfConfig(src.baseDir);
  let adapter;
  try {
    adapter = await readPeftAdapter(src.adapterDir, cfg);
  } catch (e) {
    if (e instanceof AdapterError) throw new ExportError(`adapter ${src.adapterDir} does not fit base ${src.baseDir}: ${e.message}`);
    throw e;
  }
  const scale = loraScaling(adapter.config);
  const byWeight = new Map(adapter.weights.map((w) => [`${w.module}.weight`, w]));

  const st = await SafetensorsModel.open(src.baseDir);
  try {
    const errors = checkTensors(cfg, st.shapes()).filter((p) => p.severity === 'error');
    if (errors.length) throw new ExportError(`base ${src.baseDir}: ${errors.slice(0, 3).map((e) => e.message).join('; ')}`);
    for (const name of byWeight.keys()) if (!st.has(name)) throw new ExportError(`base ${src.baseDir} has no tensor ${name} for the adapter's ${name.slice(0, -'.weight'.length)}`);
    await fs.mkdir(outDir, { recursive: true });
    const names = st.names();
    await writeSafetensors(
      path.join(outDir, SINGLE_FILE),
      names.map((name) => ({
        name,
        shape: st.info(name).shape,
        data: async () => {
          const w = await st.read(name);
          const l = byWeight.get(name);
          if (l) mergeLinear(w, l.a, l.b, l.out, l.in, adapter.config.r, scale);
          return w;
        },
      })),
      { dtype: 'F32' },
    );
    await fs.rm(path.join(outDir, 'model.safetensors.index.json'), { force: true });
    await copySideFiles(src.baseDir, outDir);
    if (!(await exists(path.join(outDir, 'generation_config.json'))))
      await writeFileAtomic(path.join(outDir, 'generation_config.json'), JSON.stringify(defaultGenerationConfig(cfg), null, 2) + '\n');
    // Last: a folder with config.json is a complete model. The weights are float32 now.
    const config = await readJson(path.join(src.baseDir, 'config.json'));
    config.torch_dtype = 'float32';
    if ('dtype' in config) config.dtype = 'float32';
    await writeFileAtomic(path.join(outDir, 'config.json'), JSON.stringify(config, null, 2) + '\n');
    return { out: outDir, config: cfg, modules: byWeight.size, scale, tensors: names.length, ms: performance.now() - t0 };
  } finally {
    await st.close();
  }
}
