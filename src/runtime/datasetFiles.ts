import { promises as fs, type Dirent } from 'node:fs';
import * as path from 'node:path';
import { minimatch } from 'minimatch';
import { decodeDataset } from '../core/dataset/decode';
import { lintJsonlText, type JsonlLint } from '../core/lint/jsonl';
import type { Finding } from '../core/lint/types';

/** V8 cannot hold a string longer than ~512 M UTF-16 units; files above this are linted in slices. */
const SLICE_BYTES = 256 * 1024 * 1024;

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

/** Lints a JSONL file from disk: bytes → encoding checks → syntax lint. Never writes to the file. */
export async function lintDatasetFile(file: string): Promise<FileLint> {
  let buf: Buffer;
  try {
    const stat = await fs.stat(file);
    if (stat.isDirectory()) throw Object.assign(new Error('is a directory'), { code: 'EISDIR' });
    buf = await fs.readFile(file);
  } catch (e) {
    throw new DatasetReadError(describeFsError(file, e));
  }
  return { ...lintDatasetBytes(buf), bytes: buf.length };
}

export function lintDatasetBytes(buf: Buffer): JsonlLint {
  if (buf.length > SLICE_BYTES) return lintInSlices(buf);
  const decoded = decodeDataset(buf);
  if (decoded.text === null) {
    return { format: null, formatCounts: {}, records: 0, lines: 0, findings: decoded.findings };
  }
  const lint = lintJsonlText(decoded.text);
  if (decoded.findings.length) lint.findings = [...decoded.findings, ...lint.findings].sort(byPosition);
  return lint;
}

const byPosition = (a: Finding, b: Finding): number => a.line - b.line || a.column - b.column;

/** Files bigger than one JS string can hold: lint line-aligned slices and merge. */
function lintInSlices(buf: Buffer): JsonlLint {
  const merged: JsonlLint = { format: null, formatCounts: {}, records: 0, lines: 0, findings: [] };
  let start = 0;
  while (start < buf.length) {
    let end = Math.min(buf.length, start + SLICE_BYTES);
    if (end < buf.length) {
      const nl = buf.indexOf(0x0a, end);
      end = nl < 0 ? buf.length : nl + 1;
    }
    const part = lintDatasetBytes(buf.subarray(start, end));
    const offset = merged.lines;
    for (const f of part.findings) merged.findings.push({ ...f, line: f.line + offset, endLine: f.endLine + offset });
    merged.records += part.records;
    merged.lines += part.lines;
    for (const [k, v] of Object.entries(part.formatCounts)) {
      const key = k as keyof JsonlLint['formatCounts'];
      merged.formatCounts[key] = (merged.formatCounts[key] ?? 0) + (v ?? 0);
    }
    if (!merged.format) merged.format = part.format;
    else if (part.format && part.format !== merged.format) merged.format = 'mixed';
    start = end;
  }
  return merged;
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
