/**
 * What only the runtime knows about a decision: the project's saved `decision:`, the values read
 * from its files (volume, clean labelled examples, preference pairs) and its lifecycle status (data,
 * training, evaluation, deployment, monitoring). Shared by the language server (Decision view) and
 * `llmops decide`. It only reads files; nothing here runs user code.
 */
import { promises as fs, type Dirent } from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ErrorCodes, ResponseError, type Connection } from 'vscode-languageserver/node';
import { parseDocument } from 'yaml';
import { z } from 'zod';
import { decide } from '../core/decision/engine';
import { answeredInputs, readDecision, saveDecision } from '../core/decision/manifestEdit';
import { decisionReport } from '../core/decision/report';
import { starterTrainConfig } from '../core/decision/starterConfig';
import { approachIds, type DecisionInputs, type InputId } from '../core/decision/types';
import type { Finding } from '../core/lint/types';
import { parseManifest, type Manifest } from '../core/project/manifest';
import {
  DecisionReportRequest,
  DecisionSaveRequest,
  DecisionStateRequest,
  StarterTrainConfigRequest,
  type DecisionReportResult,
  type DecisionSaveResult,
  type DecisionState,
  type StageStatus,
  type StarterTrainConfigResult,
} from '../protocol/decision';
import { MANIFEST } from './project';

/** What the decision needs from a dataset's lint. */
export interface DatasetLintSummary {
  records: number;
  format: string | null;
  findings: readonly Pick<Finding, 'severity' | 'line' | 'rule'>[];
  readError?: string;
}

export interface DecisionProjectDeps {
  /** Every dataset (`*.jsonl`) of the project, absolute paths. */
  datasets: () => Promise<string[]>;
  /** Lint of one dataset (the server answers from open editors and its cache). */
  lint: (file: string) => Promise<DatasetLintSummary>;
  /** Text of a file (an open editor's buffer when there is one); null when it does not exist. */
  readText?: (file: string) => Promise<string | null>;
}

/** Errors that are not about one record (a line that is no record, or the whole file): they do not make a record unclean. */
const NOT_A_RECORD = new Set(['invalid-json', 'multiline-json-not-jsonl', 'binary-file', 'invalid-utf8', 'empty-file', 'too-few-examples', 'label-imbalance']);
const PREFERENCE_FORMATS = new Set(['openai-preference', 'trl-preference', 'trl-preference-implicit']);
/** Datasets named like held-out sets are not training data when llmops.yaml does not say which is. */
const HELD_OUT = /(^|[/_.-])(eval|evaluation|test|valid|validation|holdout|dev)([/_.-]|$)/i;
const WALK_SKIP = new Set(['node_modules', '.git', '.venv', '__pycache__', '.llmops']);
const WALK_LIMIT = 20_000;

export async function readTextFile(file: string): Promise<string | null> {
  try {
    return await fs.readFile(file, 'utf8');
  } catch {
    return null;
  }
}

const fmt = (n: number): string => Math.round(n).toLocaleString('en-US');
const rel = (root: string, file: string): string => path.relative(root, file).split(path.sep).join('/') || path.basename(file);

interface CountedDataset {
  file: string;
  records: number;
  clean: number;
  errors: number;
  format: string | null;
  readError?: string;
}

async function countDataset(file: string, deps: DecisionProjectDeps): Promise<CountedDataset> {
  try {
    const l = await deps.lint(file);
    if (l.readError) return { file, records: 0, clean: 0, errors: 1, format: null, readError: l.readError };
    const errorLines = new Set<number>();
    let errors = 0;
    for (const f of l.findings) {
      if (f.severity !== 'error') continue;
      errors++;
      if (!NOT_A_RECORD.has(f.rule)) errorLines.add(f.line);
    }
    return { file, records: l.records, clean: Math.max(0, l.records - errorLines.size), errors, format: l.format };
  } catch (e) {
    return { file, records: 0, clean: 0, errors: 1, format: null, readError: (e as Error)?.message ?? String(e) };
  }
}

function describeDataset(root: string, d: CountedDataset, unit: string): string {
  if (d.readError) return `${rel(root, d.file)} (could not be read)`;
  if (d.errors === 0) return `${rel(root, d.file)} (${fmt(d.records)} ${unit}, linted clean)`;
  return `${rel(root, d.file)} (${fmt(d.records)} ${unit}, ${fmt(d.records - d.clean)} with errors: ${fmt(d.clean)} counted)`;
}

/**
 * The decision state of the project at `root` (a workspace folder, or the folder of llmops.yaml).
 * `manifestPath` is the llmops.yaml to use, or null when there is none.
 */
export async function decisionState(root: string, manifestPath: string | null, deps: DecisionProjectDeps): Promise<DecisionState> {
  const readText = deps.readText ?? readTextFile;
  const text = manifestPath ? await readText(manifestPath) : null;
  const manifestDir = manifestPath ? path.dirname(manifestPath) : root;
  const manifest = text !== null ? manifestData(text) : undefined;

  const fromProject: Partial<DecisionInputs> = {};
  const sources: Partial<Record<InputId, string>> = {};
  const volume = manifest?.volume?.monthly_requests;
  if (typeof volume === 'number') {
    fromProject.monthlyRequests = volume;
    sources.monthlyRequests = `${manifestPath ? rel(root, manifestPath) : MANIFEST} volume.monthly_requests`;
  }

  // Datasets: training sets give labelled examples, preference sets give pairs.
  const files = await deps.datasets();
  const counted: CountedDataset[] = [];
  for (const f of files) counted.push(await countDataset(f, deps));
  const declared = (role: string): string | undefined => {
    const v = manifest?.datasets?.[role];
    return typeof v === 'string' ? path.resolve(manifestDir, v) : undefined;
  };
  const trainFile = declared('train');
  const prefFile = declared('preferences');
  const isPreference = (d: CountedDataset): boolean => d.file === prefFile || (d.format !== null && PREFERENCE_FORMATS.has(d.format));
  const training = trainFile
    ? counted.filter((d) => d.file === trainFile)
    : counted.filter((d) => !isPreference(d) && !HELD_OUT.test(rel(root, d.file)) && d.records > 0);
  const preferences = counted.filter(isPreference);
  if (training.length) {
    fromProject.labelledExamples = training.reduce((a, d) => a + d.clean, 0);
    sources.labelledExamples = training.map((d) => describeDataset(root, d, 'records')).join('; ');
  } else if (trainFile) {
    fromProject.labelledExamples = 0;
    sources.labelledExamples = `${rel(root, trainFile)} (declared in llmops.yaml, not found)`;
  }
  if (preferences.length) {
    fromProject.preferencePairs = preferences.reduce((a, d) => a + d.clean, 0);
    sources.preferencePairs = preferences.map((d) => describeDataset(root, d, 'pairs')).join('; ');
  }

  const read = text !== null ? readDecision(text, fromProject) : { saved: null, problem: null };
  const lifecycle = await lifecycleOf(root, counted);
  return { manifestPath, saved: read.saved, problem: read.problem, fromProject, sources, lifecycle };
}

/** The manifest's data even when an unrelated section is invalid (volume and datasets still count). */
function manifestData(text: string): Pick<Manifest, 'volume' | 'datasets' | 'base_model' | 'project'> | undefined {
  const parsed = parseManifest(text);
  if (parsed.manifest) return parsed.manifest;
  try {
    const js = parseDocument(text).toJS() as Record<string, unknown> | null;
    if (!js || typeof js !== 'object') return undefined;
    const obj = (v: unknown): Record<string, unknown> | undefined => (typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined);
    const volume = obj(js.volume);
    const datasets = obj(js.datasets);
    const project = obj(js.project);
    return {
      volume: volume && typeof volume.monthly_requests === 'number' && volume.monthly_requests >= 0 ? { monthly_requests: Math.round(volume.monthly_requests) } : undefined,
      datasets: datasets ? (Object.fromEntries(Object.entries(datasets).filter(([, v]) => typeof v === 'string')) as Manifest['datasets']) : undefined,
      base_model: typeof js.base_model === 'string' ? js.base_model : undefined,
      project: { name: typeof project?.name === 'string' ? project.name : '', use_case: typeof project?.use_case === 'string' ? project.use_case : undefined },
    };
  } catch {
    return undefined;
  }
}

/** The manifest's base model, datasets and project name for the starter config and the report. */
export function manifestFacts(text: string | null): { base_model?: string; datasets?: Record<string, string>; name?: string; useCase?: string } {
  if (text === null) return {};
  const m = manifestData(text);
  const datasets = m?.datasets ? (Object.fromEntries(Object.entries(m.datasets).filter(([, v]) => typeof v === 'string')) as Record<string, string>) : undefined;
  return { base_model: m?.base_model, datasets, name: m?.project?.name || undefined, useCase: m?.project?.use_case };
}

interface Found {
  trainConfigs: string[];
  evalConfigs: string[];
  onnx: string[];
  adapters: string[];
}

/** One bounded walk for the files the lifecycle looks at. */
async function walk(root: string): Promise<Found> {
  const found: Found = { trainConfigs: [], evalConfigs: [], onnx: [], adapters: [] };
  let seen = 0;
  const visit = async (dir: string, depth: number): Promise<void> => {
    if (depth > 8 || seen > WALK_LIMIT) return;
    let entries: Dirent[];
    try {
      entries = await fs.readdir(dir, { withFileTypes: true });
    } catch {
      return;
    }
    entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const e of entries) {
      if (++seen > WALK_LIMIT) return;
      const abs = path.join(dir, e.name);
      if (e.isDirectory()) {
        if (!WALK_SKIP.has(e.name)) await visit(abs, depth + 1);
      } else if (e.isFile()) {
        const n = e.name.toLowerCase();
        if (/\.train\.ya?ml$/.test(n)) found.trainConfigs.push(abs);
        else if (/\.eval\.ya?ml$/.test(n)) found.evalConfigs.push(abs);
        else if (n.endsWith('.onnx')) found.onnx.push(abs);
        else if (n === 'adapter_config.json') found.adapters.push(abs);
      }
    }
  };
  await visit(root, 0);
  return found;
}

interface RunInfo {
  id: string;
  dir: string;
  status: string;
  kind: 'train' | 'eval';
  adapter: boolean;
}

/** `.llmops/runs/<id>/run.json` of the project; a run without a readable run.json is skipped. */
async function runsOf(root: string): Promise<RunInfo[]> {
  const base = path.join(root, '.llmops', 'runs');
  let entries: Dirent[];
  try {
    entries = await fs.readdir(base, { withFileTypes: true });
  } catch {
    return [];
  }
  const runs: RunInfo[] = [];
  for (const e of entries) {
    if (!e.isDirectory()) continue;
    const dir = path.join(base, e.name);
    const text = await readTextFile(path.join(dir, 'run.json'));
    if (text === null) continue;
    let run: Record<string, unknown>;
    try {
      run = JSON.parse(text) as Record<string, unknown>;
    } catch {
      runs.push({ id: e.name, dir, status: 'unreadable', kind: 'train', adapter: false });
      continue;
    }
    const kind = run.kind === 'eval' || run.type === 'eval' || (typeof run.config === 'object' && run.config !== null && 'metrics' in run.config) ? 'eval' : 'train';
    const adapter = (await readTextFile(path.join(dir, 'adapter', 'adapter_config.json'))) !== null;
    runs.push({ id: e.name, dir, status: typeof run.status === 'string' ? run.status : 'unknown', kind, adapter });
  }
  return runs.sort((a, b) => (a.id < b.id ? -1 : 1));
}

async function lifecycleOf(root: string, datasets: CountedDataset[]): Promise<StageStatus[]> {
  const [found, runs] = await Promise.all([walk(root), runsOf(root)]);
  const r = (f: string): string => rel(root, f);
  const stages: StageStatus[] = [];

  // Data
  const withErrors = datasets.filter((d) => d.errors > 0);
  const records = datasets.reduce((a, d) => a + d.records, 0);
  stages.push(
    !datasets.length
      ? { stage: 'data', state: 'none', summary: 'No datasets (*.jsonl) yet: collect examples of the inputs and outputs you want.', files: [] }
      : {
          stage: 'data',
          state: withErrors.length ? 'partial' : 'done',
          summary: `${datasets.length} dataset${datasets.length === 1 ? '' : 's'}, ${fmt(records)} records; ${withErrors.length ? withErrors.map((d) => (d.readError ? `${r(d.file)} could not be read` : `${fmt(d.errors)} error${d.errors === 1 ? '' : 's'} in ${r(d.file)}`)).join(', ') : 'all lint clean'}`,
          files: (withErrors.length ? withErrors : datasets).map((d) => r(d.file)),
        },
  );

  // Training
  const train = runs.filter((x) => x.kind === 'train');
  const completed = train.filter((x) => x.status === 'completed');
  const running = train.filter((x) => x.status === 'running');
  const failed = train.filter((x) => x.status === 'failed');
  const runText = train.length ? `, ${train.length} run${train.length === 1 ? '' : 's'} (${[completed.length && `${completed.length} completed`, running.length && `${running.length} running`, failed.length && `${failed.length} failed`].filter(Boolean).join(', ') || train.map((x) => x.status).join(', ')})` : ', no runs yet';
  stages.push(
    !found.trainConfigs.length && !train.length
      ? { stage: 'training', state: 'none', summary: 'No training config (*.train.yaml) yet.', files: [] }
      : {
          stage: 'training',
          state: completed.length ? 'done' : 'partial',
          summary: `${found.trainConfigs.length} training config${found.trainConfigs.length === 1 ? '' : 's'}${runText}`,
          files: [...found.trainConfigs.map(r), ...train.map((x) => r(path.join(x.dir, 'run.json')))],
        },
  );

  // Evaluation
  const evals = runs.filter((x) => x.kind === 'eval');
  const evalDone = evals.filter((x) => x.status === 'completed');
  stages.push(
    !found.evalConfigs.length && !evals.length
      ? { stage: 'evaluation', state: 'none', summary: 'No evaluation config (*.eval.yaml) or results yet.', files: [] }
      : {
          stage: 'evaluation',
          state: evalDone.length ? 'done' : 'partial',
          summary: `${found.evalConfigs.length} evaluation config${found.evalConfigs.length === 1 ? '' : 's'}, ${evalDone.length ? `${evalDone.length} result${evalDone.length === 1 ? '' : 's'}` : 'no results yet'}`,
          files: [...found.evalConfigs.map(r), ...evals.map((x) => r(path.join(x.dir, 'run.json')))],
        },
  );

  // Deployment: an exported model (ONNX) is deployable; trained adapters are one step before.
  const adapters = [...new Set([...found.adapters.map((f) => path.dirname(f)), ...train.filter((x) => x.adapter).map((x) => path.join(x.dir, 'adapter'))])];
  stages.push(
    found.onnx.length
      ? { stage: 'deployment', state: 'done', summary: `${found.onnx.length} exported model${found.onnx.length === 1 ? '' : 's'} (ONNX) ready to serve`, files: found.onnx.map(r) }
      : adapters.length
        ? { stage: 'deployment', state: 'partial', summary: `${adapters.length} trained adapter${adapters.length === 1 ? '' : 's'}, not exported yet (llmops export --merge --onnx)`, files: adapters.map(r) }
        : { stage: 'deployment', state: 'none', summary: 'Nothing exported yet: a trained adapter or merged model is served with llmops serve.', files: [] },
  );

  stages.push({ stage: 'monitoring', state: 'none', summary: 'No monitoring yet: once the model serves traffic, track latency, errors and quality drift, and feed what you learn back into the data.', files: [] });
  return stages;
}

/** Where the project of a workspace folder is: its llmops.yaml, or the only one a few levels down. */
export async function locateProject(folder: string): Promise<{ root: string; manifestPath: string | null }> {
  const direct = path.join(folder, MANIFEST);
  if ((await fs.stat(direct).catch(() => null))?.isFile()) return { root: folder, manifestPath: direct };
  const found: string[] = [];
  const visit = async (dir: string, depth: number): Promise<void> => {
    if (depth > 3 || found.length > 1) return;
    let entries: Dirent[];
    try {
      entries = await fs.readdir(dir, { withFileTypes: true });
    } catch {
      return;
    }
    for (const e of entries) {
      if (e.isFile() && e.name === MANIFEST && depth > 0) found.push(path.join(dir, e.name));
      else if (e.isDirectory() && !WALK_SKIP.has(e.name) && !e.name.startsWith('.')) await visit(path.join(dir, e.name), depth + 1);
    }
  };
  await visit(folder, 0);
  // One project in a subfolder (e.g. examples/x/llmops.yaml): that is the project. Several: ambiguous, use the folder.
  return found.length === 1 ? { root: path.dirname(found[0]), manifestPath: found[0] } : { root: folder, manifestPath: null };
}

const MAX_TEXT = 2 * 1024 * 1024;
const folderParam = z.string().max(4096).optional();
const inputsParam = z.record(z.string().max(64), z.unknown()).refine((o) => Object.keys(o).length <= 64, 'too many inputs');
const StateParams = z.object({ folder: folderParam }).nullish();
const SaveParams = z.object({ folder: folderParam, text: z.string().max(MAX_TEXT).nullable(), inputs: inputsParam });
const ReportParams = z.object({ folder: folderParam, inputs: inputsParam });
const StarterParams = z.object({ folder: folderParam, approach: z.enum(approachIds) });

function parseParams<T>(schema: z.ZodType<T>, params: unknown, method: string): T {
  const r = schema.safeParse(params);
  if (!r.success) throw new ResponseError(ErrorCodes.InvalidParams, `${method}: ${r.error.issues.map((i) => `${i.path.join('.') || 'params'}: ${i.message}`).join('; ')}`);
  return r.data;
}

/** What the decision handlers need from the language server. */
export interface DecisionServerDeps {
  /** Workspace folders (file: URIs). */
  folders: () => string[];
  datasetDeps: (root: string) => DecisionProjectDeps;
  /** Publish llmops.yaml problems (decision: section included) to the Problems panel. */
  publishManifest: (manifestPath: string) => void;
  log: (message: string) => void;
}

/** Registers DecisionState, DecisionSave, DecisionReport and StarterTrainConfig on the connection. */
export function registerDecisionHandlers(connection: Connection, deps: DecisionServerDeps): void {
  const folderOf = (uri: string | undefined): string => {
    const folders = deps.folders();
    const pick = (uri && folders.find((f) => f === uri || sameUri(f, uri))) ?? folders[0];
    if (!pick) throw new ResponseError(ErrorCodes.InvalidRequest, 'No workspace folder is open');
    return fileURLToPath(pick);
  };
  const stateOf = async (folderUri: string | undefined): Promise<{ root: string; state: DecisionState }> => {
    const { root, manifestPath } = await locateProject(folderOf(folderUri));
    const t0 = performance.now();
    const state = await decisionState(root, manifestPath, deps.datasetDeps(root));
    const ms = performance.now() - t0;
    if (ms > 500) deps.log(`decision state of ${root}: ${ms.toFixed(0)} ms`);
    if (manifestPath) deps.publishManifest(manifestPath);
    return { root, state };
  };

  connection.onRequest(DecisionStateRequest.method, async (p: unknown): Promise<DecisionState> => {
    const params = parseParams(StateParams, p, DecisionStateRequest.method);
    return (await stateOf(params?.folder)).state;
  });

  connection.onRequest(DecisionSaveRequest.method, async (p: unknown): Promise<DecisionSaveResult> => {
    const params = parseParams(SaveParams, p, DecisionSaveRequest.method);
    const { root, state } = await stateOf(params.folder);
    const target = state.manifestPath ?? path.join(root, MANIFEST);
    const text = params.text ?? (state.manifestPath ? await readTextFile(state.manifestPath) : null);
    const r = saveDecision(text, params.inputs as Partial<DecisionInputs>, { fromProject: state.fromProject, projectName: path.basename(root) });
    return r.ok ? { ok: true, path: target, text: r.text, saved: r.saved } : r;
  });

  connection.onRequest(DecisionReportRequest.method, async (p: unknown): Promise<DecisionReportResult> => {
    const params = parseParams(ReportParams, p, DecisionReportRequest.method);
    const { state } = await stateOf(params.folder);
    const inputs = params.inputs as Partial<DecisionInputs>;
    const facts = manifestFacts(state.manifestPath ? await readTextFile(state.manifestPath) : null);
    const markdown = decisionReport(decide(inputs, state.fromProject), {
      projectName: facts.name,
      useCase: facts.useCase,
      saved: state.saved && state.saved.revision > 0 ? { date: state.saved.date, revision: state.saved.revision } : null,
      answered: Object.keys(answeredInputs(inputs)) as InputId[],
      sources: state.sources,
    });
    return { markdown };
  });

  connection.onRequest(StarterTrainConfigRequest.method, async (p: unknown): Promise<StarterTrainConfigResult> => {
    const params = parseParams(StarterParams, p, StarterTrainConfigRequest.method);
    const folder = folderOf(params.folder);
    const { root, manifestPath } = await locateProject(folder);
    const facts = manifestFacts(manifestPath ? await readTextFile(manifestPath) : null);
    const c = starterTrainConfig(params.approach, { base_model: facts.base_model, datasets: facts.datasets });
    if (!c) throw new ResponseError(ErrorCodes.InvalidParams, `${params.approach} trains no model, so it has no training config`);
    // Next to llmops.yaml, so its relative dataset paths stay right; the name is relative to the workspace folder.
    const fileName = path.relative(folder, path.join(root, c.fileName)).split(path.sep).join('/');
    return { fileName, text: c.text };
  });
}

function sameUri(a: string, b: string): boolean {
  try {
    return fileURLToPath(a) === fileURLToPath(b);
  } catch {
    return false;
  }
}
