/**
 * Cost next to the data in the editor: the dataset CodeLens, per-record inlay hints, the cost
 * share in the record hover, and the figures behind the breakdown view and the status bar. Token
 * counts are computed off the request path (time-sliced), cached by content hash, and for big
 * files a sampled estimate shows first.
 */
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { parse as parseYaml } from 'yaml';
import { fileURLToPath } from 'node:url';
import type { CodeLens, InlayHint } from 'vscode-languageserver/node';
import type { JsonlDocument } from '../core/lint/jsonlDocument';
import type { CostBreakdown, CostSummary } from '../protocol/cost';
import { formatHours, formatUsd } from '../core/cost/format';
import { catalogFor, comparisonRows, costLensTitle, costReport, type CostOptions, type CostReport } from './cost';
import { contentHash, countDatasetTokens, countFileTokens, recordAt, sampleDatasetTokens, TokenCountCache, type DatasetTokens } from './datasetTokens';
import type { Project } from './project';
import { projectTokens, readTrainConfig, type ProjectTokens } from './projectTokens';
import { openAiLimit } from './tokenizers';

/** Above this many lines a sampled estimate shows before the exact count. */
const SAMPLE_ABOVE_LINES = 20_000;
const SAMPLE_BUDGET_MS = 700;
const RECOUNT_DELAY_MS = 300;

interface DocState {
  /** Document version the figures are for (they may be older than the document while recounting). */
  version: number;
  tokens?: DatasetTokens;
  report?: CostReport;
  /** Why there are no figures (no model configured…), shown in the lens. */
  problem?: string;
  computing?: number;
  timer?: NodeJS.Timeout;
  memo: Map<string, number>;
  memoTokenizer?: string;
  edited: boolean;
  project?: Project;
  /** The lens of a prompt file. */
  promptTitle?: string;
}

export interface CostHost {
  projectFor(file: string): Promise<Project>;
  /** The document (if still open) and whether it changed since opened or saved. */
  doc(uri: string): { doc: JsonlDocument; version: number; edited: boolean } | undefined;
  /** An open training config (`*.train.yaml`) or prompt file (`*.prompt.md`, …). */
  config?(uri: string): { text: string; version: number; kind?: 'train' | 'prompt' } | undefined;
  refresh(uri: string): void;
  log(msg: string): void;
}

export class CostService {
  private readonly docs = new Map<string, DocState>();
  private readonly cache = new TokenCountCache();
  /** Content hash of files on disk, valid while size and mtime match (re-open without hashing). */
  private readonly diskHashes = new Map<string, { size: number; mtimeMs: number; hash: string }>();

  constructor(private readonly host: CostHost) {}

  forget(uri: string): void {
    const s = this.docs.get(uri);
    if (s) clearTimeout(s.timer);
    this.docs.delete(uri);
  }

  /** Figures changed under all documents (llmops.yaml, a training config, prices). */
  invalidateAll(): void {
    for (const [uri, s] of this.docs) {
      s.version = -1;
      this.schedule(uri, 0);
    }
  }

  /** A dataset changed on disk: the open training configs recount (their dataset may be it). */
  datasetChanged(): void {
    for (const [uri, s] of this.docs) {
      if (!this.host.config?.(uri)) continue;
      s.version = -1;
      this.schedule(uri, RECOUNT_DELAY_MS);
    }
  }

  /** The lens for a document; starts (or schedules) a count when the figures are stale. */
  lenses(uri: string, version: number): CodeLens[] {
    let s = this.docs.get(uri);
    if (!s) {
      s = { version: -1, memo: new Map(), edited: false };
      this.docs.set(uri, s);
    }
    if (s.version !== version && s.computing === undefined) this.schedule(uri, s.version === -1 ? 0 : RECOUNT_DELAY_MS);
    const range = { start: { line: 0, character: 0 }, end: { line: 0, character: 0 } };
    if (s.promptTitle && this.host.config?.(uri)?.kind === 'prompt') return [{ range, command: { title: `$(symbol-numeric) ${s.promptTitle}`, command: '' } }];
    if (s.report && this.host.config?.(uri)) {
      const r = s.report;
      const gpu = r.gpu ? ` · ≈ ${formatHours(r.gpu.hours)} on ${r.gpu.name}` : '';
      const cost = r.trainingCostUsd !== null ? `≈ ${formatUsd(r.trainingCostUsd)}` : 'no price known';
      return [{ range, command: { title: `$(symbol-numeric) Run cost ${cost}: ${r.records.toLocaleString('en-US')} records, ${r.exact ? '' : '≈'}${r.tokens.toLocaleString('en-US')} tokens × ${r.epochs} epoch${r.epochs === 1 ? '' : 's'} on ${r.model}${gpu}`, command: 'llmops.showCostBreakdown', arguments: [uri] } }];
    }
    if (s.report) {
      const r = s.report;
      const sampled = r.sampled < 1 ? ` (sampled ${(r.sampled * 100).toFixed(0)}%, counting…)` : '';
      return [{ range, command: { title: `$(symbol-numeric) ${costLensTitle(r)}${sampled}`, command: 'llmops.showCostBreakdown', arguments: [uri] } }];
    }
    if (s.problem) return [{ range, command: { title: `$(info) ${s.problem}`, command: 'llmops.showCostBreakdown', arguments: [uri] } }];
    return [{ range, command: { title: '$(sync~spin) Counting tokens…', command: '' } }];
  }

  private schedule(uri: string, delay: number): void {
    const s = this.docs.get(uri);
    if (!s) return;
    clearTimeout(s.timer);
    s.timer = setTimeout(() => void this.compute(uri), delay);
  }

  private async compute(uri: string): Promise<void> {
    const text = this.host.config?.(uri);
    if (text?.kind === 'prompt') return this.computePrompt(uri);
    if (text) return this.computeConfig(uri);
    const s = this.docs.get(uri);
    const d = this.host.doc(uri);
    if (!s || !d) return;
    const version = d.version;
    const run = (s.computing = (s.computing ?? 0) + 1);
    const stale = (): boolean => this.docs.get(uri) !== s || s.computing !== run || this.host.doc(uri)?.version !== version;
    try {
      let file: string;
      try {
        file = fileURLToPath(uri);
      } catch {
        s.problem = 'Save the file to estimate its cost';
        s.version = version;
        return;
      }
      const project = await this.host.projectFor(file);
      const pt = await projectTokens(project, file);
      if (stale()) return;
      if (!pt) {
        s.problem = 'No model to price: set base_model in llmops.yaml';
        s.report = undefined;
        s.version = version;
        this.host.refresh(uri);
        return;
      }
      // What the counts depend on (not the handle object: OpenAI handles are created per call).
      const tokenizerId = `${pt.handle.kind}\u0000${pt.handle.name}\u0000${pt.handle.source}\u0000${pt.model}`;
      if (s.memoTokenizer !== tokenizerId) {
        s.memo = new Map();
        s.memoTokenizer = tokenizerId;
      }
      const format = project.manifest?.lint?.format;
      const hash = d.edited ? null : await this.hashOnDisk(file);
      if (stale()) return;
      let t = hash ? this.cache.get(hash, tokenizerId, format) : undefined;
      if (!t) {
        const lines: string[] = new Array(d.doc.lineCount);
        for (let i = 0; i < lines.length; i++) lines[i] = d.doc.line(i);
        const key = hash ?? `edited:${uri}#${version}`;
        if (lines.length > SAMPLE_ABOVE_LINES && !s.tokens) {
          this.publish(s, sampleDatasetTokens(lines, pt.handle, key, SAMPLE_BUDGET_MS, format), project, pt, file, version);
          this.host.refresh(uri);
        }
        const counted = await countDatasetTokens(lines, pt.handle, key, { format, memo: s.memo, cancelled: stale });
        if (!counted || stale()) return;
        t = counted;
        if (hash) this.cache.set(hash, tokenizerId, format, t);
        // The memo only helps while lines are being edited; drop lines that are gone.
        if (s.memo.size > lines.length * 2) s.memo = new Map();
      }
      this.publish(s, t, project, pt, file, version);
      this.host.refresh(uri);
    } catch (e) {
      s.problem = `Cost estimate failed: ${(e as Error).message}`;
      s.version = version;
      this.host.log(`cost of ${uri}: ${(e as Error)?.stack ?? e}`);
      this.host.refresh(uri);
    } finally {
      if (s.computing === run) s.computing = undefined;
      // Edits arrived while counting: count again.
      const now = this.host.doc(uri);
      if (this.docs.get(uri) === s && now && s.version !== now.version && s.computing === undefined) this.schedule(uri, RECOUNT_DELAY_MS);
    }
  }

  /** Tokens of a prompt file with the project's model, and what one request (and a month of them) costs. */
  private async computePrompt(uri: string): Promise<void> {
    const s = this.docs.get(uri);
    const c = this.host.config?.(uri);
    if (!s || !c) return;
    const run = (s.computing = (s.computing ?? 0) + 1);
    try {
      const file = fileURLToPath(uri);
      const project = await this.host.projectFor(file);
      const pt = await projectTokens(project, file);
      if (!pt) {
        s.promptTitle = 'No model to price: set base_model in llmops.yaml';
        return;
      }
      const tokens = pt.handle.countText(c.text);
      const ax = pt.handle.exact ? '' : '≈';
      const parts = [`${ax}${tokens.toLocaleString('en-US')} tokens (${pt.handle.name})`];
      const { catalog } = catalogFor(project);
      const price = catalog.inference(pt.model);
      const volume = project.manifest?.volume;
      const output = volume?.avg_output_tokens ?? 0;
      if (price) {
        const perRequest = tokens * price.inputPerToken + output * price.outputPerToken;
        parts.push(`${formatUsd(perRequest)} per request on ${price.model}${output ? ` (+${output} output tokens)` : ''}`);
        if (volume?.monthly_requests) parts.push(`${formatUsd(perRequest * volume.monthly_requests)}/month at ${volume.monthly_requests.toLocaleString('en-US')} requests`);
      } else parts.push(`no hosted price for ${pt.model}`);
      s.promptTitle = parts.join(' · ');
    } catch (e) {
      s.promptTitle = `Cost estimate failed: ${(e as Error).message}`;
    } finally {
      s.version = c.version;
      if (s.computing === run) s.computing = undefined;
      this.host.refresh(uri);
    }
  }

  /** The cost of the run a training config describes: its train dataset (from disk), model, epochs and method. */
  private async computeConfig(uri: string): Promise<void> {
    const s = this.docs.get(uri);
    const c = this.host.config?.(uri);
    if (!s || !c) return;
    const version = c.version;
    const run = (s.computing = (s.computing ?? 0) + 1);
    try {
      const file = fileURLToPath(uri);
      const info = readTrainConfig(file, c.text);
      const settings = trainSettings(c.text);
      const dataset = info?.datasets[0];
      if (!info || !dataset) {
        s.problem = 'Name a training dataset (.jsonl) to see the cost of this run';
        s.report = undefined;
        return;
      }
      const project = await this.host.projectFor(dataset);
      const pt = await projectTokens(project, dataset, info.baseModel);
      if (!pt) {
        s.problem = 'No model to price: set base_model';
        s.report = undefined;
        return;
      }
      const hash = await this.hashOnDisk(dataset);
      if (!hash) {
        s.problem = `Cannot read ${path.basename(dataset)}`;
        s.report = undefined;
        return;
      }
      const tokenizerId = `${pt.handle.kind}\u0000${pt.handle.name}\u0000${pt.handle.source}\u0000${pt.model}`;
      const format = project.manifest?.lint?.format;
      let t = this.cache.get(hash, tokenizerId, format);
      if (!t) {
        t = await countFileTokens(dataset, pt.handle, format);
        this.cache.set(hash, tokenizerId, format, t);
      }
      const oa = openAiLimit(pt.model);
      const limit = oa ? { tokens: oa.limit, source: oa.source } : info.maxSeqLen ? { tokens: info.maxSeqLen, source: `max_seq_len in ${path.basename(file)}` } : undefined;
      s.tokens = undefined;
      s.project = project;
      s.report = costReport(t, { project, model: pt.model, limit, file: path.relative(project.root, dataset) || dataset }, settings);
      s.problem = undefined;
    } catch (e) {
      s.problem = `Cost estimate failed: ${(e as Error).message}`;
      this.host.log(`cost of ${uri}: ${(e as Error)?.stack ?? e}`);
    } finally {
      s.version = version;
      if (s.computing === run) s.computing = undefined;
      this.host.refresh(uri);
    }
  }

  private publish(s: DocState, t: DatasetTokens, project: Project, pt: ProjectTokens, file: string, version: number): void {
    const oa = openAiLimit(pt.model);
    const limit = oa ? { tokens: oa.limit, source: oa.source } : Number.isFinite(pt.counter.limit) ? { tokens: pt.counter.limit, source: pt.counter.limitSource } : undefined;
    s.tokens = t;
    s.project = project;
    s.report = costReport(t, { project, model: pt.model, limit, file: project.root ? file.slice(project.root.length + 1) : file });
    s.problem = undefined;
    s.version = version;
  }

  private async hashOnDisk(file: string): Promise<string | null> {
    try {
      const st = await fs.stat(file);
      const hit = this.diskHashes.get(file);
      if (hit && hit.size === st.size && hit.mtimeMs === st.mtimeMs) return hit.hash;
      const hash = contentHash(await fs.readFile(file));
      this.diskHashes.set(file, { size: st.size, mtimeMs: st.mtimeMs, hash });
      if (this.diskHashes.size > 256) this.diskHashes.delete(this.diskHashes.keys().next().value as string);
      return hash;
    } catch {
      return null;
    }
  }

  /** Token counts as inlay hints at the end of each record line in `[from, to]`. */
  inlayHints(uri: string, from: number, to: number, lineLength: (line: number) => number): InlayHint[] {
    const t = this.docs.get(uri)?.tokens;
    if (!t || t.sampled < 1) return [];
    const out: InlayHint[] = [];
    const approx = t.exact ? '' : '≈';
    let i = lowerBound(t.lines, from);
    for (; i < t.lines.length && t.lines[i] <= to; i++) {
      const line = t.lines[i];
      out.push({ position: { line, character: lineLength(line) }, label: `${approx}${t.counts[i].toLocaleString('en-US')} tokens`, paddingLeft: true });
    }
    return out;
  }

  /** A line for the record hover: the record's tokens and its share of the training cost. */
  hoverLine(uri: string, line: number): string | null {
    const s = this.docs.get(uri);
    const t = s?.tokens;
    const r = s?.report;
    if (!t || !r || t.sampled < 1) return null;
    const i = recordAt(t, line);
    if (i < 0) return null;
    const share = t.tokens ? t.counts[i] / t.tokens : 0;
    const cost = r.trainingCostUsd !== null ? ` · ≈ ${formatUsd(r.trainingCostUsd * share)} of the ≈ ${formatUsd(r.trainingCostUsd)} fine-tune` : '';
    return `Cost share: ${(share * 100).toFixed(share < 0.001 ? 3 : 2)}% of the dataset's ${t.exact ? '' : '≈'}${t.tokens.toLocaleString('en-US')} tokens${cost}`;
  }

  /** Tokens and cost of a document or of the records on some of its lines (selection). */
  summary(uri: string, ranges?: { start: number; end: number }[]): CostSummary | null {
    const s = this.docs.get(uri);
    const t = s?.tokens;
    const r = s?.report;
    if (!t || !r) return null;
    let tokens = t.tokens;
    let records = t.records;
    let selection = false;
    if (ranges?.length && t.sampled === 1 && !(ranges.length === 1 && ranges[0].start === ranges[0].end)) {
      selection = true;
      tokens = 0;
      records = 0;
      const seen = new Set<number>();
      for (const rg of ranges) {
        for (let i = lowerBound(t.lines, rg.start); i < t.lines.length && t.lines[i] <= rg.end; i++) {
          if (seen.has(i)) continue;
          seen.add(i);
          tokens += t.counts[i];
          records++;
        }
      }
    }
    const share = t.tokens ? tokens / t.tokens : 0;
    return {
      uri,
      selection,
      records,
      tokens,
      exact: t.exact,
      model: r.model,
      tokenizer: r.tokenizer,
      trainingCostUsd: r.trainingCostUsd === null ? null : r.trainingCostUsd * share,
      epochs: r.epochs,
      sampled: t.sampled,
    };
  }

  breakdown(uri: string): CostBreakdown | null {
    const s = this.docs.get(uri);
    if (!s) return null;
    if (!s.report) return s.problem ? { uri, problem: s.problem, report: null, comparison: [] } : null;
    return { uri, report: s.report, comparison: comparisonRows(s.report, catalogFor(s.project).catalog), problem: null };
  }
}

/** Epochs and method of a training config, read loosely (`training.epochs`, `adapter.type` / `method`). */
export function trainSettings(text: string): CostOptions {
  let doc: unknown;
  try {
    doc = parseYaml(text);
  } catch {
    return {};
  }
  const o: CostOptions = {};
  if (typeof doc !== 'object' || doc === null) return o;
  const top = doc as Record<string, unknown>;
  const training = (typeof top.training === 'object' && top.training ? top.training : {}) as Record<string, unknown>;
  const epochs = training.epochs ?? top.epochs ?? top.num_train_epochs ?? training.num_train_epochs;
  if (typeof epochs === 'number' && Number.isInteger(epochs) && epochs > 0) o.epochs = epochs;
  const adapter = (typeof top.adapter === 'object' && top.adapter ? top.adapter : {}) as Record<string, unknown>;
  const kind = adapter.type ?? (top.adapter === 'full' || top.adapter === null ? 'full' : undefined);
  if (kind === 'lora') o.method = adapter.quantization === '4bit' || adapter.load_in_4bit === true ? 'qlora' : 'lora';
  else if (kind === 'qlora') o.method = 'qlora';
  else if (kind === 'full') o.method = 'full';
  return o;
}

function lowerBound(a: Int32Array, x: number): number {
  let lo = 0;
  let hi = a.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (a[mid] < x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
