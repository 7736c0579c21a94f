import * as path from 'node:path';
import { findRule, rules } from '../core/lint/rules/registry';
import { explainText } from '../core/lint/rulesDoc';
import { formatText, summarize, toReportDiagnostic, type FileReport } from '../core/lint/report';
import { formatSarif } from '../core/lint/sarif';
import { formatGithub } from '../core/lint/githubAnnotations';
import { formatJunit } from '../core/lint/junit';
import { DatasetReadError, expandPaths, lintDatasetFile } from './datasetFiles';
import { loadProject, projectResolver, ruleSetForFile } from './project';
import { lintTokensFor } from './projectTokens';
import { runCost } from './costCommand';
import { runDecide } from './decideCommand';
import { runExport } from './exportCommand';
import { runGenerate } from './generateCommand';
import { runModel } from './modelCommand';
import { runStats } from './statsCommand';
import { runTrain } from './trainCommand';
import { version } from './version';

const usage = `Usage: llmops <command> [options]

Commands:
  lint <paths|globs...>   Lint JSONL datasets (folders are searched for *.jsonl)
      --format FORMAT     text (default), json, sarif (GitHub code scanning),
                          github (Actions annotations) or junit
      --config FILE       Project manifest (default: the nearest llmops.yaml above each file)
      --quiet             Only print files with findings and the summary
  stats <paths|globs...>  Dataset statistics: records, tokens p50/p90, trainable tokens, over-limit,
                          duplicates, roles, tools (--format json, --model M)
  cost <dataset>          Fine-tuning and inference cost with the real tokenizer: hosted price or
                          GPU time, per request and per month (--model, --epochs, --gpu, --format json)
  decide [llmops.yaml]    Should this use case prompt, retrieve, fine-tune, align or pretrain? Ranked
                          recommendation with reasons, ROI and break-even from the manifest's
                          decision: and volume: and the project's datasets (--format json)
  model init|check        Write a random Llama/Qwen model in the Hugging Face layout (for tests and
                          demos), or check a model folder's config.json against its weights
  train <config>          Fine-tune a LoRA adapter on the built-in engine (*.train.yaml; --json,
                          --resume <run>); exit 0 completed or cancelled, 1 failed, 2 config error
  export <run|adapter>    Merge a LoRA adapter into its base (--merge --out DIR) and write an ONNX
                          model with KV cache for transformers.js (--onnx)
  generate <model>        Greedy generation offline with transformers.js (--prompt, --max-new-tokens,
                          --chat) from a folder llmops export --onnx wrote
  explain <code|name>     Print a rule's documentation (e.g. llmops explain invalid-json)
  rules                   List every rule
  --version               Print the version

Exit status: 0 no errors, 1 error-severity findings, 2 usage or I/O error.
`;

export interface Io {
  out: (s: string) => void;
  err: (s: string) => void;
  cwd: string;
  color: boolean;
}

class UsageError extends Error {}

const lintFormats = ['text', 'json', 'sarif', 'github', 'junit'] as const;
type LintFormat = (typeof lintFormats)[number];

function parseLintArgs(args: string[]): { paths: string[]; format: LintFormat; quiet: boolean; config?: string } {
  let config: string | undefined;
  const paths: string[] = [];
  let format: LintFormat = 'text';
  let quiet = false;
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    if (a === '--format' || a.startsWith('--format=')) {
      const v = a.includes('=') ? a.slice(a.indexOf('=') + 1) : args[++i];
      if (!lintFormats.includes(v as LintFormat)) throw new UsageError(`--format must be one of ${lintFormats.join(', ')}, got ${v ?? 'nothing'}`);
      format = v as LintFormat;
    } else if (a === '--config' || a.startsWith('--config=')) {
      config = a.includes('=') ? a.slice(a.indexOf('=') + 1) : args[++i];
      if (!config) throw new UsageError('--config needs a path to llmops.yaml');
    } else if (a === '--quiet' || a === '-q') quiet = true;
    else if (a === '--') {
      paths.push(...args.slice(i + 1));
      break;
    }
    else if (a.startsWith('-')) throw new UsageError(`unknown option ${a}`);
    else paths.push(a);
  }
  if (!paths.length) throw new UsageError('lint needs at least one path or glob, e.g. llmops lint data/*.jsonl');
  return { paths, format, quiet, config };
}

async function lint(args: string[], io: Io): Promise<number> {
  const opts = parseLintArgs(args);
  const { files, missing } = await expandPaths(opts.paths, io.cwd);
  let ioError = missing.length > 0;
  for (const m of missing) io.err(`llmops: ${m}: no such file, or no .jsonl file matched\n`);
  const reports: FileReport[] = [];
  // The project of each file: --config, or the nearest llmops.yaml above it (cached per folder).
  const explicit = opts.config ? await loadProject(path.resolve(io.cwd, opts.config), io.cwd) : null;
  const projectOf = projectResolver(explicit);
  const reported = new Set<string>();
  for (const file of files) {
    const rel = path.relative(io.cwd, file).split(path.sep).join('/') || path.basename(file);
    try {
      const project = await projectOf(file);
      if (project.manifestPath && project.problems.length && !reported.has(project.manifestPath)) {
        reported.add(project.manifestPath);
        const mrel = path.relative(io.cwd, project.manifestPath).split(path.sep).join('/');
        for (const p of project.problems) io.err(`${mrel}:${p.line + 1}:${p.column + 1}: ${p.severity} ${p.message}
`);
        if (project.problems.some((p) => p.severity === 'error')) {
          io.err(`llmops: ${mrel} has errors; ${project.manifest ? 'the sections at fault are ignored' : 'linting with default settings'}
`);
          ioError = true;
        }
      }
      const r = await lintDatasetFile(file, await ruleSetForFile(project, file, await lintTokensFor(project, file)));
      reports.push({ path: rel, format: r.format, records: r.records, diagnostics: r.findings.map(toReportDiagnostic) });
    } catch (e) {
      if (!(e instanceof DatasetReadError)) throw e;
      io.err(`llmops: ${rel}: ${e.message.replace(file + ': ', '')}\n`);
      ioError = true;
    }
  }
  const report = summarize(reports);
  if (opts.format === 'json') io.out(JSON.stringify(report, null, 2) + '\n');
  else if (opts.format === 'sarif') io.out(formatSarif(report, { toolVersion: version, rules, srcRoot: io.cwd }));
  else if (opts.format === 'github') io.out(formatGithub(report));
  else if (opts.format === 'junit') io.out(formatJunit(report));
  else io.out(formatText(opts.quiet ? { ...report, files: report.files.filter((f) => f.diagnostics.length) } : report, io.color));
  if (ioError) return 2;
  return report.summary.errors > 0 ? 1 : 0;
}

function explain(args: string[], io: Io): number {
  if (args.length !== 1) throw new UsageError('explain needs one rule code or name, e.g. llmops explain LD001');
  const rule = findRule(args[0]);
  if (!rule) {
    io.err(`llmops: no rule named ${args[0]}; run 'llmops rules' for the list\n`);
    return 2;
  }
  io.out(explainText(rule));
  return 0;
}

export async function runCli(argv: string[], io: Io): Promise<number> {
  const [cmd, ...rest] = argv;
  try {
    switch (cmd) {
      case 'lint':
        return await lint(rest, io);
      case 'stats':
        return await runStats(rest, io);
      case 'cost':
        return await runCost(rest, io);
      case 'decide':
        return await runDecide(rest, io);
      case 'model':
        return await runModel(rest, io);
      case 'train':
        return await runTrain(rest, { ...io, tty: process.stdout.isTTY === true });
      case 'export':
        return await runExport(rest, io);
      case 'generate':
        return await runGenerate(rest, io);
      case 'explain':
        return explain(rest, io);
      case 'rules':
        io.out(rules.map((r) => `${r.code}  ${r.name.padEnd(28)} ${r.defaultSeverity.padEnd(8)} ${r.summary}`).join('\n') + '\n');
        return 0;
      case '--version':
      case '-v':
        io.out(`llmops ${version}\n`);
        return 0;
      case undefined:
      case '--help':
      case '-h':
      case 'help':
        io.out(usage);
        return cmd === undefined ? 2 : 0;
      default:
        throw new UsageError(`unknown command '${cmd}'`);
    }
  } catch (e) {
    if (e instanceof UsageError) {
      io.err(`llmops: ${e.message}\n\n${usage}`);
      return 2;
    }
    io.err(`llmops: ${(e as Error)?.stack ?? String(e)}\n`);
    return 2;
  }
}
