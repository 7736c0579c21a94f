/**
 * `llmops stats <files|folders|globs> [--format text|json] [--model M] [--config llmops.yaml]`:
 * records, format, tokens per record (min / p50 / p90 / max) with the base model's real tokenizer,
 * trainable tokens, records over the context limit, duplicates, roles, tools. Streams each file.
 */
import * as path from 'node:path';
import { formatStatsText, StatsAccumulator, type DatasetStats } from '../core/dataset/stats';
import { expandPaths } from './datasetFiles';
import { loadProject, projectResolver } from './project';
import { projectTokens, type ProjectTokens } from './projectTokens';
import { readFileLines } from './lineAligner';

export interface StatsIo {
  out: (s: string) => void;
  err: (s: string) => void;
  cwd: string;
}

export const statsUsage = `Usage: llmops stats <paths|globs...> [options]

Dataset statistics: records, format, tokens per record (min/p50/p90/max) with the base model's
tokenizer (chat template applied), trainable tokens, records over the context limit, duplicates,
roles and tool calls.

Options:
  --format FORMAT   text (default) or json
  --model MODEL     Count with this model's tokenizer instead of llmops.yaml's base_model
                    (an OpenAI model such as gpt-4o-mini, a Hugging Face id, or a local folder)
  --config FILE     Project manifest (default: the nearest llmops.yaml above each file)
`;

interface StatsOptions {
  paths: string[];
  format: 'text' | 'json';
  model?: string;
  config?: string;
}

class StatsUsageError extends Error {}

function parseArgs(args: string[]): StatsOptions {
  const opts: StatsOptions = { paths: [], format: 'text' };
  const value = (a: string, i: number): [string | undefined, number] => (a.includes('=') ? [a.slice(a.indexOf('=') + 1), i] : [args[i + 1], i + 1]);
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    let v: string | undefined;
    if (a === '--format' || a.startsWith('--format=')) {
      [v, i] = value(a, i);
      if (v !== 'text' && v !== 'json') throw new StatsUsageError(`--format must be text or json, got ${v ?? 'nothing'}`);
      opts.format = v;
    } else if (a === '--model' || a.startsWith('--model=')) {
      [v, i] = value(a, i);
      if (!v) throw new StatsUsageError('--model needs a model name or folder');
      opts.model = v;
    } else if (a === '--config' || a.startsWith('--config=')) {
      [v, i] = value(a, i);
      if (!v) throw new StatsUsageError('--config needs a path to llmops.yaml');
      opts.config = v;
    } else if (a === '--') {
      opts.paths.push(...args.slice(i + 1));
      break;
    } else if (a.startsWith('-')) throw new StatsUsageError(`unknown option ${a}`);
    else opts.paths.push(a);
  }
  if (!opts.paths.length) throw new StatsUsageError('stats needs at least one path or glob, e.g. llmops stats data/train.jsonl');
  return opts;
}

/** Streams a file's lines into the accumulator (bounded memory for any file size). */
function accumulate(file: string, acc: StatsAccumulator): Promise<void> {
  return readFileLines(file, (line) => acc.addLine(line));
}

interface FileStats {
  path: string;
  tokenizer: { model: string; name: string; kind: string; exact: boolean; source: string; reason: string | null } | null;
  stats: DatasetStats;
}

/** The JSON shape, keys in a fixed order (stable for CI diffs). */
function toJson(files: FileStats[]): unknown {
  return {
    files: files.map((f) => ({
      path: f.path,
      records: f.stats.records,
      invalidLines: f.stats.invalidLines,
      format: f.stats.format,
      formats: f.stats.formats,
      tokenizer: f.tokenizer,
      tokens: f.stats.tokens && {
        exact: f.stats.tokens.exact,
        total: f.stats.tokens.total,
        perRecord: f.stats.tokens.perRecord,
        trainable: f.stats.tokens.trainable,
        limit: f.stats.tokens.limit,
        limitSource: f.stats.tokens.limitSource,
        overLimit: f.stats.tokens.overLimit,
      },
      duplicates: f.stats.duplicates,
      messages: f.stats.messages,
      roles: f.stats.roles,
      tools: f.stats.tools,
    })),
  };
}

/** Runs `llmops stats`; returns the exit status (0 ok, 2 usage or I/O error). */
export async function runStats(args: string[], io: StatsIo): Promise<number> {
  let opts: StatsOptions;
  try {
    if (args.includes('--help') || args.includes('-h')) {
      io.out(statsUsage);
      return 0;
    }
    opts = parseArgs(args);
  } catch (e) {
    if (!(e instanceof StatsUsageError)) throw e;
    io.err(`llmops stats: ${e.message}\n\n${statsUsage}`);
    return 2;
  }
  const { files, missing } = await expandPaths(opts.paths, io.cwd);
  let status = 0;
  for (const m of missing) {
    io.err(`llmops: ${m}: no such file, or no .jsonl file matched\n`);
    status = 2;
  }
  const explicit = opts.config ? await loadProject(path.resolve(io.cwd, opts.config), io.cwd) : null;
  const projectOf = projectResolver(explicit);
  const results: FileStats[] = [];
  for (const file of files) {
    const rel = path.relative(io.cwd, file).split(path.sep).join('/') || path.basename(file);
    let tokens: ProjectTokens | undefined;
    try {
      tokens = await projectTokens(await projectOf(file), file, opts.model);
    } catch (e) {
      io.err(`llmops: ${rel}: cannot load a tokenizer: ${(e as Error).message}\n`);
    }
    const acc = new StatsAccumulator(tokens?.counter);
    try {
      await accumulate(file, acc);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      io.err(`llmops: ${rel}: ${code === 'EISDIR' ? 'is a directory' : code === 'ENOENT' ? 'no such file' : (e as Error).message}\n`);
      status = 2;
      continue;
    }
    const h = tokens?.handle;
    const f: FileStats = {
      path: rel,
      tokenizer: h && tokens ? { model: tokens.model, name: h.name, kind: h.kind, exact: h.exact, source: h.source, reason: h.reason ?? null } : null,
      stats: acc.result(),
    };
    results.push(f);
    if (opts.format === 'text') {
      io.out(formatStatsText(rel, f.stats));
      if (f.tokenizer?.reason) io.out(`  note: token counts are estimates: ${f.tokenizer.reason}\n`);
      else if (f.tokenizer) io.out(`  note: tokenizer from ${f.tokenizer.source}\n`);
      io.out('\n');
    }
  }
  if (opts.format === 'json') io.out(JSON.stringify(toJson(results), null, 2) + '\n');
  return status;
}
