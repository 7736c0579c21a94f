/**
 * The token counter of a project (`LintConfig.tokens`): the tokenizer of llmops.yaml's
 * `base_model`, and the limit a record must fit — min(model context, the training config's
 * `max_seq_len`) — with where each number comes from.
 */
import { promises as fs, type Dirent } from 'node:fs';
import * as path from 'node:path';
import { parse as parseYaml } from 'yaml';
import type { TokenCounter } from '../core/lint/types';
import type { Project } from './project';
import { countRecordTokens, resolveTokenizer, trainableTokens, upperBoundTokens, type TokenizerHandle } from './tokenizers';

/** What a training config (`*.train.yaml`) says about sequence length, read loosely. */
export interface TrainConfigInfo {
  file: string;
  maxSeqLen?: number;
  baseModel?: string;
  /** Absolute paths of the `.jsonl` files it names. */
  datasets: string[];
}

const seqLenKeys = ['max_seq_len', 'max_seq_length', 'max_length'];

/**
 * Reads `max_seq_len` (or `max_seq_length` / `max_length`, top level or one section down),
 * `base_model` / `model`, and every `.jsonl` path it mentions. Loose on purpose: the training
 * config schema lives elsewhere; this only needs the numbers that decide truncation.
 */
export function readTrainConfig(file: string, text: string): TrainConfigInfo | null {
  let doc: unknown;
  try {
    doc = parseYaml(text);
  } catch {
    return null;
  }
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) return null;
  const info: TrainConfigInfo = { file, datasets: [] };
  const top = doc as Record<string, unknown>;
  const sections = [top, ...Object.values(top).filter((v): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v))];
  for (const s of sections) {
    for (const k of seqLenKeys) {
      const v = s[k];
      if (info.maxSeqLen === undefined && typeof v === 'number' && Number.isInteger(v) && v > 0) info.maxSeqLen = v;
    }
  }
  for (const k of ['base_model', 'model']) {
    const v = top[k];
    if (typeof v === 'string' && v && !info.baseModel) info.baseModel = v;
    if (typeof v === 'object' && v !== null && typeof (v as Record<string, unknown>).name === 'string' && !info.baseModel) info.baseModel = (v as Record<string, string>).name;
  }
  const dir = path.dirname(file);
  const visit = (v: unknown, depth: number): void => {
    if (typeof v === 'string') {
      if (/\.jsonl$/i.test(v.trim())) info.datasets.push(path.resolve(dir, v.trim()));
    } else if (depth < 4 && typeof v === 'object' && v !== null) for (const x of Object.values(v)) visit(x, depth + 1);
  };
  visit(doc, 0);
  return info;
}

const skipDirs = new Set(['node_modules', '.git', '.llmops', '.venv', '__pycache__', 'dist', 'out']);

/** `*.train.yaml` / `*.train.yml` in the project folder and its immediate subfolders. */
export async function findTrainConfigs(root: string): Promise<TrainConfigInfo[]> {
  const out: TrainConfigInfo[] = [];
  const scan = async (dir: string, depth: number): Promise<void> => {
    let entries: Dirent[];
    try {
      entries = await fs.readdir(dir, { withFileTypes: true });
    } catch {
      return;
    }
    entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const e of entries) {
      const abs = path.join(dir, e.name);
      if (e.isFile() && /\.train\.ya?ml$/i.test(e.name)) {
        try {
          const info = readTrainConfig(abs, await fs.readFile(abs, 'utf8'));
          if (info) out.push(info);
        } catch {
          // unreadable: ignore
        }
      } else if (e.isDirectory() && depth === 0 && !skipDirs.has(e.name) && !e.name.startsWith('.')) await scan(abs, 1);
    }
  };
  await scan(root, 0);
  return out;
}

/**
 * The training configs that apply to `file`: those naming it; else the only config when it names
 * no dataset at all.
 */
export function configsFor(configs: readonly TrainConfigInfo[], file: string | undefined): TrainConfigInfo[] {
  if (file) {
    const abs = path.resolve(file);
    const naming = configs.filter((c) => c.datasets.includes(abs));
    if (naming.length) return naming;
  }
  if (configs.length === 1 && configs[0].datasets.length === 0) return [configs[0]];
  return [];
}

/** The limit a record must fit, and where it comes from; undefined when nothing is known. */
export function limitOf(handle: TokenizerHandle, configs: readonly TrainConfigInfo[], root: string): { limit: number; source: string } | undefined {
  let best: { limit: number; source: string } | undefined;
  if (handle.contextLimit) best = { limit: handle.contextLimit, source: relativeIn(root, handle.contextLimitSource ?? `${handle.name}'s context length`) };
  for (const c of configs) {
    if (c.maxSeqLen !== undefined && (!best || c.maxSeqLen < best.limit)) best = { limit: c.maxSeqLen, source: `max_seq_len in ${relativeIn(root, c.file)}` };
  }
  return best;
}

/** Paths inside the project shown relative to it (messages stay short). */
function relativeIn(root: string, text: string): string {
  return text.split(root + path.sep).join('');
}

/** A TokenCounter over a handle (one object per handle and limit, so RuleSet caches stay warm). */
const counters = new Map<string, TokenCounter>();
const handleIds = new WeakMap<TokenizerHandle, number>();
let nextHandleId = 1;

export function tokenCounter(handle: TokenizerHandle, limit: number, limitSource: string): TokenCounter {
  let id = handleIds.get(handle);
  if (id === undefined) handleIds.set(handle, (id = nextHandleId++));
  const key = `${id}\u0000${limit}\u0000${limitSource}`;
  let c = counters.get(key);
  if (!c) {
    c = {
      id: `${handle.kind}:${handle.name}#${id}:${limit}:${limitSource}`,
      limit,
      limitSource,
      exact: handle.exact,
      name: handle.name,
      countRecord: (record, format) => countRecordTokens(handle, record, format),
      upperBound: (record, format) => upperBoundTokens(handle, record, format),
      countTrainable: (record, format) => trainableTokens(handle, record, format),
    };
    if (counters.size > 256) counters.clear();
    counters.set(key, c);
  }
  return c;
}

export interface ProjectTokens {
  handle: TokenizerHandle;
  model: string;
  /** Infinity when neither the model nor a training config gives a limit. */
  counter: TokenCounter;
  configs: TrainConfigInfo[];
}

const configScans = new Map<string, { at: number; p: Promise<TrainConfigInfo[]> }>();
const CONFIG_TTL_MS = 2000;

function trainConfigsOf(root: string): Promise<TrainConfigInfo[]> {
  const hit = configScans.get(root);
  if (hit && Date.now() - hit.at < CONFIG_TTL_MS) return hit.p;
  const p = findTrainConfigs(root);
  configScans.set(root, { at: Date.now(), p });
  return p;
}

/** Forget cached training-config scans (call when a `*.train.yaml` or llmops.yaml changes). */
export function invalidateProjectTokens(root?: string): void {
  if (root) configScans.delete(root);
  else configScans.clear();
}

/**
 * Token counting for `file` in `project` (the file decides which training config's max_seq_len
 * applies). `model` overrides llmops.yaml's base_model (CLI `--model`). Undefined when no base
 * model is known. Never throws: a tokenizer that cannot be found gives an estimate.
 */
export async function projectTokens(project: Project, file?: string, model?: string): Promise<ProjectTokens | undefined> {
  const all = await trainConfigsOf(project.root);
  const configs = configsFor(all, file);
  const base = model ?? project.manifest?.base_model ?? configs.find((c) => c.baseModel)?.baseModel;
  if (!base) return undefined;
  const handle = await resolveTokenizer(base, { projectRoot: project.root });
  const l = limitOf(handle, configs, project.root);
  return { handle, model: base, configs, counter: tokenCounter(handle, l?.limit ?? Infinity, l?.source ?? 'no context length or max_seq_len known') };
}

/** The counter for `LintConfig.tokens`, or undefined (the exceeds-context rule then stays quiet). */
export async function lintTokensFor(project: Project, file?: string): Promise<TokenCounter | undefined> {
  const t = await projectTokens(project, file);
  return t && Number.isFinite(t.counter.limit) ? t.counter : undefined;
}

const ready = new Map<string, { at: number; counter: TokenCounter | null }>();
const pending = new Set<string>();

/**
 * For the language server: the counter if already loaded, else undefined at once while it loads in
 * the background (seconds for a Hugging Face tokenizer); `onReady` runs when it is there (or when
 * it changed, e.g. after a training config edit), so the server can lint again instead of
 * blocking the first diagnostics.
 */
export function peekLintTokens(project: Project, file: string, onReady: () => void): TokenCounter | undefined {
  const key = `${project.root}\u0000${project.manifest?.base_model ?? ''}\u0000${file}`;
  const hit = ready.get(key);
  if ((!hit || Date.now() - hit.at > CONFIG_TTL_MS) && !pending.has(key)) {
    pending.add(key);
    void lintTokensFor(project, file)
      .then((c) => {
        const before = ready.get(key)?.counter;
        ready.set(key, { at: Date.now(), counter: c ?? null });
        if ((c ?? null) !== (before ?? null)) onReady();
      })
      .finally(() => pending.delete(key));
  }
  return hit?.counter ?? undefined;
}
