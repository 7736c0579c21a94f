import * as path from 'node:path';
import { findRule, rules } from '../core/lint/rules/registry';
import { formatText, summarize, toReportDiagnostic, type FileReport } from '../core/lint/report';
import { DatasetReadError, expandPaths, lintDatasetFile } from './datasetFiles';
import { version } from './version';

const usage = `Usage: llmops <command> [options]

Commands:
  lint <paths|globs...>   Lint JSONL datasets (folders are searched for *.jsonl)
      --format text|json  Output format (default: text)
      --quiet             Only print files with findings and the summary
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

function parseLintArgs(args: string[]): { paths: string[]; format: 'text' | 'json'; quiet: boolean } {
  const paths: string[] = [];
  let format: 'text' | 'json' = 'text';
  let quiet = false;
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    if (a === '--format' || a.startsWith('--format=')) {
      const v = a.includes('=') ? a.slice(a.indexOf('=') + 1) : args[++i];
      if (v !== 'text' && v !== 'json') throw new UsageError(`--format must be text or json, got ${v ?? 'nothing'}`);
      format = v;
    } else if (a === '--quiet' || a === '-q') quiet = true;
    else if (a === '--') {
      paths.push(...args.slice(i + 1));
      break;
    }
    else if (a.startsWith('-')) throw new UsageError(`unknown option ${a}`);
    else paths.push(a);
  }
  if (!paths.length) throw new UsageError('lint needs at least one path or glob, e.g. llmops lint data/*.jsonl');
  return { paths, format, quiet };
}

async function lint(args: string[], io: Io): Promise<number> {
  const opts = parseLintArgs(args);
  const { files, missing } = await expandPaths(opts.paths, io.cwd);
  let ioError = missing.length > 0;
  for (const m of missing) io.err(`llmops: ${m}: no such file, or no .jsonl file matched\n`);
  const reports: FileReport[] = [];
  for (const file of files) {
    const rel = path.relative(io.cwd, file).split(path.sep).join('/') || path.basename(file);
    try {
      const r = await lintDatasetFile(file);
      reports.push({ path: rel, format: r.format, records: r.records, diagnostics: r.findings.map(toReportDiagnostic) });
    } catch (e) {
      if (!(e instanceof DatasetReadError)) throw e;
      io.err(`llmops: ${rel}: ${e.message.replace(file + ': ', '')}\n`);
      ioError = true;
    }
  }
  const report = summarize(reports);
  if (opts.format === 'json') io.out(JSON.stringify(report, null, 2) + '\n');
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
  const d = rule.doc;
  io.out(
    `${rule.code} ${rule.name} (${rule.defaultSeverity})\n${rule.summary}\n\n` +
      `What it does\n  ${d.what}\n\nWhy\n  ${d.why}\n\nExample\n${indent(d.example)}\n\nUse instead\n${indent(d.useInstead)}\n` +
      (rule.fix ? `\nFix (${rule.fix.applicability}): ${rule.fix.title}\n` : ''),
  );
  return 0;
}

const indent = (s: string): string => s.split('\n').map((l) => '  ' + l).join('\n');

export async function runCli(argv: string[], io: Io): Promise<number> {
  const [cmd, ...rest] = argv;
  try {
    switch (cmd) {
      case 'lint':
        return await lint(rest, io);
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
