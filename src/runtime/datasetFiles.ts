import { isUtf8 } from 'node:buffer';
import { createReadStream, promises as fs, type Dirent } from 'node:fs';
import * as path from 'node:path';
import { minimatch } from 'minimatch';
import { decodeDataset, invalidUtf8Finding, positionOfByte } from '../core/dataset/decode';
import { RuleSet } from '../core/lint/engine';
import { lintJsonlText, StreamingLinter, type JsonlLint } from '../core/lint/jsonl';
import { LineAligner } from './lineAligner';
import { defaultLintConfig, type Finding, type LintConfig } from '../core/lint/types';

export interface FileLint extends JsonlLint {
  bytes: number;
}

export class DatasetReadError extends Error {}

function describeFsError(file: string, e: unknown): string {
  const code = (e as NodeJS.ErrnoException)?.code;
  if (code === 'ENOENT') return `${file}: no such file`;
  if (code === 'EISDIR') return `${file}: is a directory`;
  if (code === 'EACCES' || code === 'EPERM') return `${file}: permission denied`;
  return `${file}: ${(e as Error)?.message ?? String(e)}`;
}

const CHUNK = 4 * 1024 * 1024;

/**
 * Lints a JSONL file from disk as a stream: bytes → encoding checks → lines → rules. Memory stays
 * bounded (a 1 GB file never becomes one string). Never writes to the file.
 */
export async function lintDatasetFile(file: string, ruleSet: RuleSet = new RuleSet(defaultLintConfig)): Promise<FileLint> {
  let stream: ReturnType<typeof createReadStream>;
  try {
    const stat = await fs.stat(file);
    if (stat.isDirectory()) throw Object.assign(new Error('is a directory'), { code: 'EISDIR' });
    stream = createReadStream(file, { highWaterMark: CHUNK });
  } catch (e) {
    throw new DatasetReadError(describeFsError(file, e));
  }
  const linter = new StreamingLinter(ruleSet);
  const extra: Finding[] = [];
  let bytes = 0;
  let lines = 0;
  const aligner = new LineAligner();
  let utf8Reported = false;
  let refused: Finding | null = null;

  let consumed = 0;
  const piece = (buf: Buffer): void => {
    if (!utf8Reported && !isUtf8(buf)) {
      utf8Reported = true;
      extra.push(invalidUtf8Finding(buf, consumed, lines));
    }
    consumed += buf.length;
    const text = buf.toString('utf8');
    let pos = 0;
    const n = text.length;
    while (pos < n) {
      let nl = text.indexOf('\n', pos);
      if (nl < 0) nl = n;
      linter.push(text.slice(pos, nl));
      lines++;
      pos = nl + 1;
    }
  };

  try {
    for await (const chunk of stream as AsyncIterable<Buffer>) {
      if (bytes === 0) {
        const head = decodeDataset(chunk.subarray(0, 8));
        if (head.text === null) {
          refused = head.findings[0];
          break;
        }
      }
      const nul = chunk.indexOf(0);
      if (nul >= 0) {
        const carry = aligner.carried;
        const buf = carry ? Buffer.concat([carry, chunk]) : chunk;
        const at = buf.indexOf(0);
        const { line, column } = positionOfByte(buf, at);
        refused = { ...decodeDataset(Buffer.from([0])).findings[0], line: line + lines, endLine: line + lines, column, endColumn: column + 1, message: `This file is binary (a NUL byte at byte offset ${bytes - (carry?.length ?? 0) + at}), not JSON Lines text. Nothing else was checked.` };
        break;
      }
      bytes += chunk.length;
      const complete = aligner.push(chunk);
      if (complete) piece(complete);
    }
  } catch (e) {
    throw new DatasetReadError(describeFsError(file, e));
  } finally {
    stream.destroy();
  }
  if (refused) return { format: null, formatCounts: {}, records: 0, lines: 0, findings: [refused], bytes };
  const last = aligner.end();
  if (last) piece(last);
  const lint = linter.finish();
  if (extra.length) lint.findings = [...extra, ...lint.findings].sort((a, b) => a.line - b.line || a.column - b.column);
  return { ...lint, bytes };
}

/** Lints bytes already in memory (small files, tests). */
export function lintDatasetBytes(buf: Buffer, config: LintConfig = defaultLintConfig): JsonlLint {
  const decoded = decodeDataset(buf);
  if (decoded.text === null) return { format: null, formatCounts: {}, records: 0, lines: 0, findings: decoded.findings };
  const lint = lintJsonlText(decoded.text, config);
  if (decoded.findings.length) lint.findings = [...decoded.findings, ...lint.findings].sort((a, b) => a.line - b.line || a.column - b.column);
  return lint;
}

export interface FindOptions {
  exclude: string[];
  /** Stop after this many files. */
  limit: number;
}

const alwaysSkip = new Set(['node_modules', '.git']);

/** Every `*.jsonl` under `root`, sorted, skipping excluded folders. */
export async function findDatasets(root: string, opts: FindOptions): Promise<{ files: string[]; truncated: boolean }> {
  const files: string[] = [];
  const excluded = (rel: string, dir: boolean): boolean =>
    opts.exclude.some((g) => minimatch(rel, g, { dot: true }) || (dir && minimatch(rel + '/x', g, { dot: true })));
  const walk = async (dir: string): Promise<boolean> => {
    let entries: Dirent[];
    try {
      entries = await fs.readdir(dir, { withFileTypes: true });
    } catch {
      return true; // vanished or unreadable folder: skip it
    }
    entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const e of entries) {
      const abs = path.join(dir, e.name);
      const rel = path.relative(root, abs).split(path.sep).join('/');
      if (e.isDirectory()) {
        if (alwaysSkip.has(e.name) || excluded(rel, true)) continue;
        if (!(await walk(abs))) return false;
      } else if (e.isFile() && e.name.toLowerCase().endsWith('.jsonl') && !excluded(rel, false)) {
        files.push(abs);
        if (files.length >= opts.limit) return false;
      }
    }
    return true;
  };
  const complete = await walk(root);
  return { files, truncated: !complete };
}

const GLOB_CHARS = /[*?[\]{}]/;

/**
 * Expands CLI arguments: files as given, folders to their `*.jsonl` files, globs matched from
 * their static prefix. Returns the files and the arguments that matched nothing.
 */
export async function expandPaths(args: string[], cwd: string): Promise<{ files: string[]; missing: string[] }> {
  const files: string[] = [];
  const missing: string[] = [];
  const seen = new Set<string>();
  const add = (f: string): void => {
    if (!seen.has(f)) {
      seen.add(f);
      files.push(f);
    }
  };
  for (const arg of args) {
    const abs = path.resolve(cwd, arg);
    if (GLOB_CHARS.test(arg)) {
      const parts = arg.split(/[\\/]/);
      const staticParts: string[] = [];
      for (const p of parts) {
        if (GLOB_CHARS.test(p)) break;
        staticParts.push(p);
      }
      const base = path.resolve(cwd, staticParts.join('/') || '.');
      const pattern = path.resolve(cwd, arg).split(path.sep).join('/');
      const found = await findAll(base);
      const matched = found.filter((f) => minimatch(f.split(path.sep).join('/'), pattern, { dot: false }));
      if (!matched.length) missing.push(arg);
      matched.forEach(add);
      continue;
    }
    let stat;
    try {
      stat = await fs.stat(abs);
    } catch {
      missing.push(arg);
      continue;
    }
    if (stat.isDirectory()) {
      const { files: inDir } = await findDatasets(abs, { exclude: ['**/.llmops/**'], limit: 100_000 });
      if (!inDir.length) missing.push(arg);
      inDir.forEach(add);
    } else add(abs);
  }
  return { files, missing };
}

async function findAll(base: string): Promise<string[]> {
  const out: string[] = [];
  const walk = async (dir: string): Promise<void> => {
    let entries: Dirent[];
    try {
      entries = await fs.readdir(dir, { withFileTypes: true });
    } catch {
      return;
    }
    for (const e of entries) {
      const abs = path.join(dir, e.name);
      if (e.isDirectory()) {
        if (!alwaysSkip.has(e.name)) await walk(abs);
      } else if (e.isFile()) out.push(abs);
    }
  };
  await walk(base);
  return out.sort();
}
