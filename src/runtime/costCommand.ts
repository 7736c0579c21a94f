/**
 * `llmops cost <dataset> [--model M] [--epochs E] [--gpu G] [--method lora|qlora|full] [--mfu X]
 * [--format text|json] [--config llmops.yaml]`: what fine-tuning on the dataset costs (hosted or
 * on a GPU) and what serving the result costs, from the real token counts.
 */
import { statSync } from 'node:fs';
import * as path from 'node:path';
import { costReport, formatCostText, catalogFor, archFor, type CostOptions, type TrainMethod } from './cost';
import { countFileTokens } from './datasetTokens';
import { expandPaths } from './datasetFiles';
import { loadProject, projectResolver } from './project';
import { projectTokens } from './projectTokens';
import { openAiBaseModel, openAiLimit } from './tokenizers';

export interface CostIo {
  out: (s: string) => void;
  err: (s: string) => void;
  cwd: string;
}

export const costUsage = `Usage: llmops cost <dataset.jsonl> [options]

What fine-tuning on the dataset costs (hosted price per training token, or GPU time from the base
model's size) and what serving the fine-tuned model costs per request and per month, with the
model's real tokenizer. Prices: the bundled catalog (snapshot date printed), overridden by
llmops.yaml prices:.

Options:
  --model MODEL     Model to fine-tune (default: llmops.yaml base_model): gpt-4o-mini, a Hugging
                    Face id, or a local model folder
  --epochs N        Epochs (default: OpenAI's rule for the number of records)
  --gpu NAME        GPU for the time estimate (default: the cheapest that fits), e.g. H100, L4
  --method M        lora (default), qlora or full
  --mfu X           Model FLOPs utilisation, 0 < X ≤ 1 (default 0.35)
  --api-model M     Hosted model the custom one replaces, for the ROI (default gpt-4o)
  --setup-hours H   Setup effort in hours for the ROI (default 40)
  --rate USD        Hourly rate of that effort (default 30)
  --format FORMAT   text (default) or json
  --config FILE     Project manifest (default: the nearest llmops.yaml above the dataset)
`;

class CostUsageError extends Error {}

interface Parsed extends CostOptions {
  paths: string[];
  format: 'text' | 'json';
  config?: string;
}

function parseArgs(args: string[]): Parsed {
  const o: Parsed = { paths: [], format: 'text' };
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    const eq = a.indexOf('=');
    const flag = a.startsWith('--') && eq > 0 ? a.slice(0, eq) : a;
    const take = (): string => {
      const v = eq > 0 && a.startsWith('--') ? a.slice(eq + 1) : args[++i];
      if (v === undefined || v === '') throw new CostUsageError(`${flag} needs a value`);
      return v;
    };
    switch (flag) {
      case '--model':
        o.model = take();
        break;
      case '--epochs': {
        const v = take();
        const n = Number(v);
        if (!Number.isInteger(n) || n < 1 || n > 1000) throw new CostUsageError(`--epochs must be a whole number from 1 to 1000, got ${v}`);
        o.epochs = n;
        break;
      }
      case '--gpu':
        o.gpu = take();
        break;
      case '--method': {
        const v = take();
        if (v !== 'lora' && v !== 'qlora' && v !== 'full') throw new CostUsageError(`--method must be lora, qlora or full, got ${v}`);
        o.method = v as TrainMethod;
        break;
      }
      case '--mfu': {
        const v = take();
        const n = Number(v);
        if (!(n > 0 && n <= 1)) throw new CostUsageError(`--mfu must be a number in (0, 1], got ${v}`);
        o.mfu = n;
        break;
      }
      case '--api-model':
        o.apiModel = take();
        break;
      case '--setup-hours':
      case '--rate': {
        const v = take();
        const n = Number(v);
        if (!(n >= 0 && Number.isFinite(n))) throw new CostUsageError(`${flag} must be a number ≥ 0, got ${v}`);
        if (flag === '--rate') o.hourlyRateUsd = n;
        else o.setupHours = n;
        break;
      }
      case '--format': {
        const v = take();
        if (v !== 'text' && v !== 'json') throw new CostUsageError(`--format must be text or json, got ${v}`);
        o.format = v;
        break;
      }
      case '--config':
        o.config = take();
        break;
      default:
        if (a.startsWith('-')) throw new CostUsageError(`unknown option ${a}`);
        o.paths.push(a);
    }
  }
  if (o.paths.length !== 1) throw new CostUsageError('cost needs exactly one dataset, e.g. llmops cost data/train.jsonl');
  return o;
}

/** Runs `llmops cost`; returns the exit status (0 ok, 2 usage, unknown model or I/O error). */
export async function runCost(args: string[], io: CostIo): Promise<number> {
  let o: Parsed;
  try {
    if (args.includes('--help') || args.includes('-h')) {
      io.out(costUsage);
      return 0;
    }
    o = parseArgs(args);
  } catch (e) {
    if (!(e instanceof CostUsageError)) throw e;
    io.err(`llmops cost: ${e.message}\n\n${costUsage}`);
    return 2;
  }
  const { files, missing } = await expandPaths(o.paths, io.cwd);
  if (missing.length || files.length !== 1) {
    io.err(`llmops cost: ${missing.length ? `${missing[0]}: no such file` : `${o.paths[0]} matched ${files.length} files; name one dataset`}\n`);
    return 2;
  }
  const file = files[0];
  const rel = path.relative(io.cwd, file).split(path.sep).join('/') || path.basename(file);
  const explicit = o.config ? await loadProject(path.resolve(io.cwd, o.config), io.cwd) : null;
  const project = await projectResolver(explicit)(file);
  const { catalog, problems } = catalogFor(project);
  const manifestName = project.manifestPath ? path.relative(io.cwd, project.manifestPath) || 'llmops.yaml' : 'llmops.yaml';
  for (const p of project.problems) if (p.severity === 'error') io.err(`llmops: ${manifestName}:${p.line + 1}:${p.column + 1}: ${p.path ? `${p.path.join('.')}: ` : ''}${p.message}\n`);
  for (const p of problems) io.err(`llmops: ${manifestName}: prices.${p.path.join('.')}: ${p.message}\n`);
  const tokens = await projectTokens(project, file, o.model);
  if (!tokens) {
    io.err(`llmops cost: no model to price: pass --model (e.g. --model gpt-4o-mini) or set base_model in llmops.yaml\n`);
    return 2;
  }
  const model = tokens.model;
  const known = openAiBaseModel(model) !== null || tokens.handle.exact || catalog.training(model) || catalog.inference(model) || archFor(model, project);
  if (!known) {
    const near = [...new Set([...catalog.suggest(model, 'training', 3), ...catalog.suggest(model, 'inference', 3)])].slice(0, 5);
    io.err(`llmops cost: unknown model "${model}": no tokenizer, size or price is known for it.${near.length ? ` Did you mean ${near.join(', ')}?` : ''}\n`);
    return 2;
  }
  let counted;
  try {
    if (!statSync(file).isFile()) throw Object.assign(new Error('is a directory'), { code: 'EISDIR' });
    counted = await countFileTokens(file, tokens.handle, project.manifest?.lint?.format);
  } catch (e) {
    io.err(`llmops cost: ${rel}: ${(e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (e as Error).message}\n`);
    return 2;
  }
  const oa = openAiLimit(model);
  const limit = oa ? { tokens: oa.limit, source: oa.source } : Number.isFinite(tokens.counter.limit) ? { tokens: tokens.counter.limit, source: tokens.counter.limitSource } : undefined;
  const report = costReport(counted, { project, model, limit, file: rel }, o);
  if (o.gpu && !report.gpu && openAiBaseModel(model) === null) {
    io.err(`llmops cost: ${report.notes.find((n) => n.startsWith('unknown GPU')) ?? `no GPU estimate for ${model}`}\n`);
    return 2;
  }
  io.out(o.format === 'json' ? JSON.stringify(report, null, 2) + '\n' : formatCostText(report) + '\n');
  return 0;
}
