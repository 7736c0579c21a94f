/**
 * `llmops export <run|adapter folder> --merge --out <folder> [--onnx]`: the LoRA adapter merged into
 * its base as a Hugging Face folder, and with --onnx also `onnx/model.onnx` (KV cache) that
 * transformers.js loads offline. `llmops export <model folder> --onnx --out <folder>` exports a
 * model folder as it is.
 */
import { existsSync } from 'node:fs';
import * as path from 'node:path';
import { ExportError } from './export/decoderGraph';
import { mergeAdapter, resolveAdapterSource } from './export/merge';
import { exportOnnx } from './export/onnxExport';
import { ModelConfigError } from './models/hfConfig';
import { SafetensorsError } from './models/safetensors';

export interface ExportIo {
  out: (s: string) => void;
  err: (s: string) => void;
  cwd: string;
}

export const exportUsage = `Usage: llmops export <run|adapter folder> --merge --out <folder> [--onnx] [options]
       llmops export <model folder> --onnx --out <folder>

  --merge        Merge the LoRA adapter (a run's adapter/, or a PEFT adapter folder) into its base
                 model: W + (alpha/r)·B·A, written as a Hugging Face folder (float32 safetensors)
  --onnx         Also write onnx/model.onnx with KV cache, as transformers.js loads it
                 (llmops generate <folder>); models up to 2 GB of float32 weights
  --out DIR      Output folder (required)
  --base DIR     Base model folder (default: run.json's base_model or the adapter's
                 base_model_name_or_path)
  --force        Replace a model already in the output folder
  --json         Print the result as JSON
`;

class ExportUsageError extends Error {}

export async function runExport(args: string[], io: ExportIo): Promise<number> {
  let out: string | undefined;
  let base: string | undefined;
  const bools = new Set<string>();
  const rest: string[] = [];
  try {
    for (let i = 0; i < args.length; i++) {
      const a = args[i];
      const [flag, inline] = a.startsWith('--') && a.includes('=') ? [a.slice(0, a.indexOf('=')), a.slice(a.indexOf('=') + 1)] : [a, undefined];
      if (flag === '--out' || flag === '--base') {
        const v = inline ?? args[++i];
        if (!v) throw new ExportUsageError(`${flag} needs a folder`);
        if (flag === '--out') out = v;
        else base = v;
      } else if (['--merge', '--onnx', '--force', '--json'].includes(flag)) bools.add(flag);
      else if (a === '--help' || a === '-h') {
        io.out(exportUsage);
        return 0;
      } else if (a.startsWith('-')) throw new ExportUsageError(`unknown option ${a}`);
      else rest.push(a);
    }
    if (rest.length !== 1) throw new ExportUsageError('export needs one run, adapter or model folder');
    if (!out) throw new ExportUsageError('export needs --out <folder>');
    if (!bools.has('--merge') && !bools.has('--onnx')) throw new ExportUsageError('say what to export: --merge (adapter into its base) and/or --onnx');
  } catch (e) {
    if (!(e instanceof ExportUsageError)) throw e;
    io.err(`llmops export: ${e.message}\n\n${exportUsage}`);
    return 2;
  }

  const input = rest[0];
  const outDir = path.resolve(io.cwd, out);
  const json = bools.has('--json');
  const result: Record<string, unknown> = { out: outDir };
  try {
    const inputDir = path.resolve(io.cwd, input);
    const isModel = existsSync(path.join(inputDir, 'config.json')) && !existsSync(path.join(inputDir, 'run.json')) && !existsSync(path.join(inputDir, 'adapter_config.json'));
    let modelDir = inputDir;
    if (bools.has('--merge')) {
      const src = await resolveAdapterSource(input, io.cwd, base);
      if (src.note && !json) io.err(`llmops export: note: ${src.note}\n`);
      const m = await mergeAdapter(src, outDir, { force: bools.has('--force') });
      Object.assign(result, { adapter: src.adapterDir, base: src.baseDir, merged_modules: m.modules, scale: m.scale, merge_ms: Math.round(m.ms) });
      if (!json) io.out(`merged ${src.adapterDir} into ${src.baseDir}: ${m.modules} layers (scale ${m.scale}) → ${path.join(outDir, 'model.safetensors')} (${(m.ms / 1000).toFixed(1)} s)\n`);
      modelDir = outDir;
    } else if (!isModel) {
      throw new ExportError(`${input} is not a model folder (config.json): for a run or an adapter, add --merge`);
    }
    if (bools.has('--onnx')) {
      if (!bools.has('--merge') && !bools.has('--force') && path.resolve(modelDir) !== outDir && existsSync(path.join(outDir, 'config.json')))
        throw new ExportError(`${out} already holds a model (config.json): pass --force to replace it`);
      const r = await exportOnnx(modelDir, outDir);
      Object.assign(result, { onnx: r.onnxFile, onnx_bytes: r.bytes, onnx_nodes: r.nodes, onnx_ms: Math.round(r.ms) });
      if (!json) io.out(`wrote ${r.onnxFile} (${(r.bytes / 2 ** 20).toFixed(1)} MiB, ${r.nodes} nodes, ${(r.ms / 1000).toFixed(1)} s); run it with: llmops generate ${out} --prompt "…"\n`);
    }
    if (json) io.out(JSON.stringify(result) + '\n');
    return 0;
  } catch (e) {
    if (e instanceof ExportError || e instanceof ModelConfigError || e instanceof SafetensorsError) {
      io.err(`llmops export: ${e.message}\n`);
      return 1;
    }
    throw e;
  }
}
