import { promises as fs } from 'node:fs';
import { isUtf8 } from 'node:buffer';
import * as path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import {
  CodeActionKind,
  createConnection,
  DiagnosticSeverity,
  FileChangeType,
  ProposedFeatures,
  TextDocumentSyncKind,
  CodeLensRefreshRequest,
  InlayHintRefreshRequest,
  type CodeAction,
  type Connection,
  type Diagnostic,
  type InitializeParams,
  type WorkspaceFolder,
} from 'vscode-languageserver/node';
import { convertibleToChat, convertTextToOpenAIChat } from '../core/dataset/convert';
import { decodeDataset } from '../core/dataset/decode';
import { detectRecordFormat, formatNames } from '../core/dataset/formats';
import { rewriteAsJsonl } from '../core/lint/jsonl';
import { JsonlDocument } from '../core/lint/jsonlDocument';
import { TextDocument } from 'vscode-languageserver-textdocument';
import type { Finding, Fix, Severity } from '../core/lint/types';
import {
  DatasetsChangedNotification,
  DatasetsRequest,
  defaultRuntimeSettings,
  LintWorkspaceRequest,
  RuntimeInfoRequest,
  type DatasetSummary,
  type RuntimeSettings,
} from '../protocol/runtime';
import { DatasetReadError, findDatasets, lintDatasetFile, type FileLint } from './datasetFiles';
import { findManifest, loadProject, MANIFEST, ruleSetForFile, type Project } from './project';
import { invalidateProjectTokens, peekLintTokens } from './projectTokens';
import { recordHover } from './hover';
import { CostService } from './costLens';
import { CostBreakdownRequest, CostChangedNotification, CostSummaryRequest } from '../protocol/cost';
import { DecisionChangedNotification } from '../protocol/decision';
import { registerDecisionHandlers } from './decision';
import { version } from './version';
import { parseTrainConfig } from '../core/train/config';

/** Code action kind of the whole-file conversion (shown in the lightbulb and the Refactor menu). */
const CONVERT_KIND = 'refactor.rewrite.llmops.toOpenAIChat';

const severityMap: Record<Severity, DiagnosticSeverity> = {
  error: DiagnosticSeverity.Error,
  warning: DiagnosticSeverity.Warning,
  info: DiagnosticSeverity.Information,
  hint: DiagnosticSeverity.Hint,
};

/** What travels in `diagnostic.data`: the rule code and the fix, so code actions never lint again. */
interface DiagnosticData {
  code: string;
  fix?: Fix;
}

interface OpenDoc {
  uri: string;
  version: number;
  doc: JsonlDocument;
  /** Encoding problem of the file on disk (VS Code decodes invalid bytes to U+FFFD). */
  encoding: Finding[];
  /** Changed since opened or last saved (LSP does not carry the editor's dirty state). */
  edited: boolean;
  /** False until the project's lint settings are known (the first lint waits for them). */
  ready: boolean;
  settleTimer?: NodeJS.Timeout;
}

/** Below this many lines the rules across records run on every change; above, once typing pauses. */
const SETTLE_NOW_LINES = 2000;
const SETTLE_DELAY_MS = 250;
/** `llmops.cost.inlayHints: auto` shows per-record token hints up to this many lines. */
const INLAY_AUTO_MAX_LINES = 10_000;

export function toDiagnostic(f: Finding): Diagnostic {
  const data: DiagnosticData = { code: f.code };
  if (f.fix) data.fix = f.fix;
  return {
    range: { start: { line: f.line, character: f.column }, end: { line: f.endLine, character: f.endColumn } },
    severity: severityMap[f.severity],
    code: f.rule,
    source: 'llmops',
    message: f.message,
    data,
  };
}

const MAX_WORKSPACE_FILES = 5000;

export function startServer(connection: Connection = createConnection(ProposedFeatures.all)): Connection {
  const startedAt = new Date().toISOString();
  const open = new Map<string, OpenDoc>();
  /** Open training configs (`*.train.yaml`) and prompt files (`*.prompt.md`): only their cost CodeLens, no linting here. */
  const configs = new Map<string, TextDocument>();
  /** Lint results of files on disk, keyed by path, valid while mtime and size match. */
  const diskCache = new Map<string, { mtimeMs: number; size: number; lint: FileLint }>();
  /** URIs whose diagnostics come from a workspace lint (not from an open editor). */
  const publishedFromDisk = new Set<string>();
  let folders: WorkspaceFolder[] = [];
  let settings: RuntimeSettings = defaultRuntimeSettings;
  const log = connection.console;

  const applySettings = (s: Partial<RuntimeSettings> | undefined): void => {
    if (!s) return;
    settings = {
      maxProblemsPerFile: typeof s.maxProblemsPerFile === 'number' && s.maxProblemsPerFile > 0 ? s.maxProblemsPerFile : settings.maxProblemsPerFile,
      exclude: Array.isArray(s.exclude) ? s.exclude.filter((x) => typeof x === 'string') : settings.exclude,
      costLens: typeof s.costLens === 'boolean' ? s.costLens : settings.costLens,
      inlayHints: s.inlayHints === 'on' || s.inlayHints === 'off' || s.inlayHints === 'auto' ? s.inlayHints : settings.inlayHints,
    };
  };

  const capped = (findings: Finding[]): Diagnostic[] => {
    const max = settings.maxProblemsPerFile;
    const diags = findings.slice(0, max).map(toDiagnostic);
    if (findings.length > max) {
      const last = findings[max];
      diags.push({
        range: { start: { line: last.line, character: 0 }, end: { line: last.line, character: 0 } },
        severity: DiagnosticSeverity.Information,
        source: 'llmops',
        code: 'too-many-problems',
        message: `${findings.length - max} more problems not shown (llmops.lint.maxProblemsPerFile = ${max}); run 'llmops lint' for the full list`,
      });
    }
    return diags;
  };

  let decisionTimer: NodeJS.Timeout | undefined;
  /** The Decision view re-asks for its state (datasets, llmops.yaml, configs, runs); at most twice a second. */
  const notifyDecisionChanged = (): void => {
    if (decisionTimer) return;
    decisionTimer = setTimeout(() => {
      decisionTimer = undefined;
      void connection.sendNotification(DecisionChangedNotification.method, {});
    }, 500);
  };

  let changedTimer: NodeJS.Timeout | undefined;
  const changedUris = new Set<string>();
  const notifyDatasetsChanged = (uri: string): void => {
    changedUris.add(uri);
    if (changedTimer) return;
    // Coalesced: the sidebar re-asks at most ~4 times a second while the user types.
    changedTimer = setTimeout(() => {
      changedTimer = undefined;
      const uris = [...changedUris];
      changedUris.clear();
      void connection.sendNotification(DatasetsChangedNotification.method, { uris });
      notifyDecisionChanged();
    }, 250);
  };

  const lintOpen = (o: OpenDoc): void => {
    if (!o.ready) return;
    const t0 = performance.now();
    let findings: Finding[];
    if (hasNul(o.doc)) {
      findings = decodeDataset(Buffer.from(o.doc.getText(), 'utf8')).findings;
    } else {
      const small = o.doc.lineCount <= SETTLE_NOW_LINES;
      const r = small ? o.doc.settle() : o.doc.lint();
      findings = o.encoding.length ? [...o.encoding, ...r.findings] : r.findings;
      if (!small && o.doc.unsettled) {
        clearTimeout(o.settleTimer);
        o.settleTimer = setTimeout(() => {
          if (open.get(o.uri) !== o) return;
          const t1 = performance.now();
          const settled = o.doc.settle();
          void connection.sendDiagnostics({ uri: o.uri, version: o.version, diagnostics: capped(o.encoding.length ? [...o.encoding, ...settled.findings] : settled.findings) });
          const ms = performance.now() - t1;
          if (ms > 100) log.info(`rules across records of ${o.uri}: ${ms.toFixed(0)} ms`);
        }, SETTLE_DELAY_MS);
      }
    }
    void connection.sendDiagnostics({ uri: o.uri, version: o.version, diagnostics: capped(findings) });
    const ms = performance.now() - t0;
    if (ms > 50) log.info(`linted ${o.uri} in ${ms.toFixed(1)} ms (${o.doc.lastReparsed} lines re-parsed)`);
    notifyDatasetsChanged(o.uri);
  };

  const checkEncodingOnDisk = async (o: OpenDoc): Promise<void> => {
    if (!o.uri.startsWith('file:')) return;
    try {
      const buf = await fs.readFile(fileURLToPath(o.uri));
      if (isUtf8(buf)) {
        if (!o.encoding.length) return;
        o.encoding = [];
      } else {
        o.encoding = decodeDataset(buf).findings;
      }
      if (open.get(o.uri) === o) lintOpen(o);
    } catch {
      // Not on disk (yet, or any more): the buffer is all there is.
    }
  };

  connection.onInitialize((params: InitializeParams) => {
    folders = params.workspaceFolders ?? (params.rootUri ? [{ uri: params.rootUri, name: path.basename(params.rootUri) }] : []);
    applySettings(params.initializationOptions as Partial<RuntimeSettings> | undefined);
    log.info(`LLMOps runtime ${version} (pid ${process.pid}, Node ${process.version}) serving ${folders.length} folder(s)`);
    return {
      capabilities: {
        textDocumentSync: { openClose: true, change: TextDocumentSyncKind.Incremental, save: { includeText: false } },
        hoverProvider: true,
        codeLensProvider: { resolveProvider: false },
        inlayHintProvider: true,
        codeActionProvider: { codeActionKinds: [CodeActionKind.QuickFix, CONVERT_KIND], resolveProvider: true },
        workspace: { workspaceFolders: { supported: true, changeNotifications: true } },
      },
      serverInfo: { name: 'llmops-runtime', version },
    };
  });

  connection.onInitialized(() => {
    connection.workspace.onDidChangeWorkspaceFolders((e) => {
      folders = folders.filter((f) => !e.removed.some((r) => r.uri === f.uri)).concat(e.added);
      notifyDatasetsChanged('');
    });
  });

  connection.onDidChangeConfiguration((p) => {
    const s = (p.settings as { llmops?: Partial<RuntimeSettings> } | undefined)?.llmops;
    applySettings(s);
    for (const o of open.values()) lintOpen(o);
  });

  connection.onDidOpenTextDocument(async (p) => {
    if (isTrainConfig(p.textDocument.uri) || isPromptFile(p.textDocument.uri)) {
      configs.set(p.textDocument.uri, TextDocument.create(p.textDocument.uri, 'yaml', p.textDocument.version, p.textDocument.text));
      if (isTrainConfig(p.textDocument.uri)) void connection.sendDiagnostics({ uri: p.textDocument.uri, version: p.textDocument.version, diagnostics: trainConfigDiagnostics(p.textDocument.uri, p.textDocument.text) });
      return;
    }
    const o: OpenDoc = { uri: p.textDocument.uri, version: p.textDocument.version, doc: new JsonlDocument(p.textDocument.text), encoding: [], edited: false, ready: false };
    open.set(o.uri, o);
    if (publishedFromDisk.has(o.uri)) publishedFromDisk.delete(o.uri);
    await applyProject(o);
    o.ready = true;
    lintOpen(o);
    void checkEncodingOnDisk(o);
  });

  connection.onDidChangeTextDocument((p) => {
    const cfg = configs.get(p.textDocument.uri);
    if (cfg) {
      const next = TextDocument.update(cfg, p.contentChanges, p.textDocument.version);
      configs.set(cfg.uri, next);
      if (isTrainConfig(cfg.uri)) void connection.sendDiagnostics({ uri: cfg.uri, version: next.version, diagnostics: trainConfigDiagnostics(cfg.uri, next.getText()) });
      return;
    }
    const o = open.get(p.textDocument.uri);
    if (!o) return;
    for (const c of p.contentChanges) {
      if ('range' in c) o.doc.applyChange(c.text, c.range);
      else o.doc.applyChange(c.text);
    }
    o.version = p.textDocument.version;
    o.edited = true;
    lintOpen(o);
  });

  connection.onDidSaveTextDocument((p) => {
    const o = open.get(p.textDocument.uri);
    if (!o) return;
    o.edited = false;
    diskCache.clear();
    notifyDatasetsChanged(o.uri);
    void checkEncodingOnDisk(o);
  });

  connection.onDidCloseTextDocument((p) => {
    if (configs.delete(p.textDocument.uri)) {
      cost.forget(p.textDocument.uri);
      if (isTrainConfig(p.textDocument.uri)) void connection.sendDiagnostics({ uri: p.textDocument.uri, diagnostics: [] });
      return;
    }
    clearTimeout(open.get(p.textDocument.uri)?.settleTimer);
    open.delete(p.textDocument.uri);
    cost.forget(p.textDocument.uri);
    // Findings of closed files come back only from a workspace lint (as ESLint and ruff do).
    void connection.sendDiagnostics({ uri: p.textDocument.uri, diagnostics: [] });
    notifyDatasetsChanged(p.textDocument.uri);
  });

  connection.onDidChangeWatchedFiles((p) => {
    for (const c of p.changes) {
      let file: string;
      try {
        file = fileURLToPath(c.uri);
      } catch {
        continue;
      }
      if (/[\\/]\.llmops[\\/]runs[\\/]/.test(file)) {
        // A run started, progressed or finished: only the lifecycle shown by the Decision view changes.
        notifyDecisionChanged();
        continue;
      }
      if (file.endsWith('.eval.yaml')) {
        // Evaluation configs only move the Decision view's lifecycle.
        notifyDecisionChanged();
        continue;
      }
      if (path.basename(file) === MANIFEST || file.endsWith('.train.yaml') || file.endsWith('.train.yml')) {
        invalidateProjectTokens();
        projects.clear();
        diskCache.clear();
        cost.invalidateAll();
        for (const o of open.values()) void applyProject(o).then(() => lintOpen(o));
        void publishManifest(file);
        notifyDatasetsChanged(c.uri);
        continue;
      }
      diskCache.delete(file);
      cost.datasetChanged();
      // A training file changed: evaluation files compared with it get new overlap data.
      for (const o of open.values()) if (o.uri !== c.uri) void applyProject(o).then((changed) => changed && lintOpen(o));
      if (c.type === FileChangeType.Deleted && publishedFromDisk.has(c.uri) && !open.has(c.uri)) {
        publishedFromDisk.delete(c.uri);
        void connection.sendDiagnostics({ uri: c.uri, diagnostics: [] });
      }
      notifyDatasetsChanged(c.uri);
    }
  });

  connection.onCodeAction((p) => {
    const o = open.get(p.textDocument.uri);
    const actions: CodeAction[] = [];
    for (const d of p.context.diagnostics) {
      const data = d.data as DiagnosticData | undefined;
      const fix = data?.fix;
      if (!fix || d.source !== 'llmops') continue;
      let edits = fix.edits?.map((e) => ({
        range: { start: { line: e.startLine, character: e.startColumn }, end: { line: e.endLine, character: e.endColumn } },
        newText: e.newText,
      }));
      if (fix.rewrite === 'jsonl-from-concatenated' && o) {
        const text = o.doc.getText();
        const rewritten = rewriteAsJsonl(text, text.includes('\r\n') ? '\r\n' : '\n');
        if (rewritten === null) continue;
        const lastLine = o.doc.lineCount - 1;
        edits = [{ range: { start: { line: 0, character: 0 }, end: { line: lastLine, character: o.doc.line(lastLine).length } }, newText: rewritten }];
      }
      if (!edits) continue;
      actions.push({
        title: fix.applicability === 'unsafe' ? `${fix.title} (unsafe)` : fix.title,
        kind: CodeActionKind.QuickFix,
        diagnostics: [d],
        isPreferred: fix.applicability === 'safe',
        edit: { changes: { [p.textDocument.uri]: edits } },
      });
    }
    if (o) {
      const counts = o.doc.lint().formatCounts as Record<string, number>;
      const n = Object.entries(counts).reduce((a, [f, c]) => a + (convertibleToChat.has(f) ? c : 0), 0);
      if (n > 0) {
        // The edit is computed only if the user picks the action (codeAction/resolve).
        actions.push({ title: `Convert ${n} record${n === 1 ? '' : 's'} to OpenAI chat format`, kind: CONVERT_KIND, data: { convert: p.textDocument.uri } });
      }
    }
    return actions;
  });

  /** Projects by folder: the nearest llmops.yaml above it, parsed (cleared when one changes). */
  const projects = new Map<string, Promise<Project>>();
  const projectFor = (file: string): Promise<Project> => {
    const dir = path.dirname(file);
    let p = projects.get(dir);
    if (!p) {
      p = findManifest(dir).then((m) => loadProject(m, dir));
      projects.set(dir, p);
      void p.then((proj) => proj.manifestPath && publishManifestProblems(proj));
    }
    return p;
  };
  let refreshTimer: NodeJS.Timeout | undefined;
  const refreshUris = new Set<string>();
  const cost = new CostService({
    projectFor: (file) => projectFor(file),
    doc: (uri) => {
      const o = open.get(uri);
      return o ? { doc: o.doc, version: o.version, edited: o.edited } : undefined;
    },
    config: (uri) => {
      const c = configs.get(uri);
      return c ? { text: c.getText(), version: c.version, kind: isPromptFile(uri) ? ('prompt' as const) : ('train' as const) } : undefined;
    },
    refresh: (uri) => {
      refreshUris.add(uri);
      if (refreshTimer) return;
      refreshTimer = setTimeout(() => {
        refreshTimer = undefined;
        const uris = [...refreshUris];
        refreshUris.clear();
        void connection.sendRequest(CodeLensRefreshRequest.type).catch(() => undefined);
        if (settings.inlayHints !== 'off') void connection.sendRequest(InlayHintRefreshRequest.type).catch(() => undefined);
        for (const u of uris) void connection.sendNotification(CostChangedNotification.method, { uri: u });
      }, 50);
    },
    log: (m) => log.warn(m),
  });
  const publishManifestProblems = (proj: Project): void => {
    if (!proj.manifestPath) return;
    void connection.sendDiagnostics({
      uri: pathToFileURL(proj.manifestPath).href,
      diagnostics: proj.problems.map((m) => ({
        range: { start: { line: m.line, character: m.column }, end: { line: m.endLine, character: m.endColumn } },
        severity: m.severity === 'error' ? DiagnosticSeverity.Error : DiagnosticSeverity.Warning,
        source: 'llmops',
        code: 'manifest',
        message: m.message,
      })),
    });
  };
  const publishManifest = async (manifestPath: string): Promise<void> => publishManifestProblems(await loadProject(manifestPath, path.dirname(manifestPath)));
  // Tokenizers take a second to load: lint at once without them, and again when they are ready.
  const rulesFor = async (file: string) => {
    const p = await projectFor(file);
    return ruleSetForFile(
      p,
      file,
      peekLintTokens(p, file, () => {
        for (const o of open.values()) void applyProject(o).then((c) => c && lintOpen(o));
      }),
    );
  };
  /** Gives an open document its project's lint settings. */
  const applyProject = async (o: OpenDoc): Promise<boolean> => {
    let file: string;
    try {
      file = fileURLToPath(o.uri);
    } catch {
      return false; // untitled: defaults
    }
    try {
      const rs = await rulesFor(file);
      if (o.doc.ruleSetIs(rs)) return false;
      o.doc.setRuleSet(rs);
      return true;
    } catch (e) {
      log.warn(`lint settings for ${o.uri}: ${(e as Error)?.message ?? e}; using defaults`);
      return false;
    }
  };

  connection.onHover((p) => {
    const o = open.get(p.textDocument.uri);
    if (!o) return null;
    const md = recordHover(o.doc.line(p.position.line), p.position.line, o.doc.rules.config.tokens);
    if (!md) return null;
    const share = cost.hoverLine(o.uri, p.position.line);
    return { contents: { kind: 'markdown', value: share ? `${md}\n\n${share}` : md } };
  });

  connection.onCodeLens((p) => {
    const cfg = configs.get(p.textDocument.uri);
    if (cfg) return settings.costLens ? cost.lenses(cfg.uri, cfg.version) : [];
    const o = open.get(p.textDocument.uri);
    if (!o || !settings.costLens) return [];
    return cost.lenses(o.uri, o.version);
  });

  connection.languages.inlayHint.on((p) => {
    const o = open.get(p.textDocument.uri);
    if (!o || settings.inlayHints === 'off' || (settings.inlayHints === 'auto' && o.doc.lineCount > INLAY_AUTO_MAX_LINES)) return [];
    return cost.inlayHints(o.uri, p.range.start.line, p.range.end.line, (line) => o.doc.line(line).length);
  });

  connection.onRequest(CostBreakdownRequest.method, (p: { uri: string }) => (typeof p?.uri === 'string' ? cost.breakdown(p.uri) : null));
  connection.onRequest(CostSummaryRequest.method, (p: { uri: string; ranges?: { start: number; end: number }[] }) => {
    if (typeof p?.uri !== 'string') return null;
    const ranges = Array.isArray(p.ranges) ? p.ranges.filter((r) => Number.isInteger(r?.start) && Number.isInteger(r?.end)).slice(0, 100) : undefined;
    return cost.summary(p.uri, ranges);
  });

  connection.onCodeActionResolve((action) => {
    const uri = (action.data as { convert?: string } | undefined)?.convert;
    const o = uri ? open.get(uri) : undefined;
    if (!uri || !o) return action;
    const lines: string[] = [];
    for (let i = 0; i < o.doc.lineCount; i++) lines.push(o.doc.line(i));
    const r = convertTextToOpenAIChat(lines, (v) => formatNames[detectRecordFormat(v)]);
    const last = o.doc.lineCount - 1;
    action.edit = { changes: { [uri]: [{ range: { start: { line: 0, character: 0 }, end: { line: last, character: o.doc.line(last).length } }, newText: r.text }] } };
    log.info(`convert to OpenAI chat: ${r.converted} records converted, ${r.kept} kept as they were`);
    return action;
  });

  const lintFromDisk = async (file: string): Promise<FileLint> => {
    const st = await fs.stat(file).catch((e: unknown) => {
      throw new DatasetReadError(`${file}: ${(e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : String((e as Error).message)}`);
    });
    const hit = diskCache.get(file);
    if (hit && hit.mtimeMs === st.mtimeMs && hit.size === st.size) return hit.lint;
    const lint = await lintDatasetFile(file, await rulesFor(file));
    diskCache.set(file, { mtimeMs: st.mtimeMs, size: st.size, lint });
    return lint;
  };

  const yieldToMessages = (): Promise<void> => new Promise((r) => setImmediate(r));

  const scanWorkspace = async (): Promise<{ datasets: DatasetSummary[]; truncated: boolean; lints: Map<string, FileLint> }> => {
    const datasets: DatasetSummary[] = [];
    const lints = new Map<string, FileLint>();
    let truncated = false;
    for (const folder of folders) {
      let root: string;
      try {
        root = fileURLToPath(folder.uri);
      } catch {
        continue;
      }
      const found = await findDatasets(root, { exclude: settings.exclude, limit: MAX_WORKSPACE_FILES });
      truncated ||= found.truncated;
      for (const file of found.files) {
        const uri = pathToFileURL(file).href;
        const rel = path.relative(root, file).split(path.sep).join('/');
        const base: DatasetSummary = { uri, path: rel, folder: folder.name, bytes: 0, records: 0, format: null, errors: 0, warnings: 0, dirty: false };
        const o = open.get(uri) ?? [...open.values()].find((x) => sameFile(x.uri, uri));
        try {
          if (o) {
            const r = o.doc.lint();
            const findings = [...o.encoding, ...r.findings];
            const st = await fs.stat(file).catch(() => null);
            datasets.push({ ...base, ...counts(findings), records: r.records, format: r.format, bytes: st?.size ?? 0, dirty: o.edited });
          } else {
            const r = await lintFromDisk(file);
            lints.set(uri, r);
            datasets.push({ ...base, ...counts(r.findings), records: r.records, format: r.format, bytes: r.bytes });
          }
        } catch (e) {
          datasets.push({ ...base, readError: e instanceof DatasetReadError ? e.message : String(e) });
        }
        await yieldToMessages();
      }
    }
    return { datasets, truncated, lints };
  };

  connection.onRequest(DatasetsRequest.method, async () => {
    const t0 = performance.now();
    const { datasets, truncated } = await scanWorkspace();
    return { datasets, truncated, durationMs: performance.now() - t0 };
  });

  connection.onRequest(LintWorkspaceRequest.method, async () => {
    const t0 = performance.now();
    const { datasets, lints } = await scanWorkspace();
    for (const [uri, lint] of lints) {
      if (open.has(uri)) continue;
      publishedFromDisk.add(uri);
      void connection.sendDiagnostics({ uri, diagnostics: capped(lint.findings) });
    }
    const totals = datasets.reduce(
      (a, d) => ({ records: a.records + d.records, errors: a.errors + d.errors + (d.readError ? 1 : 0), warnings: a.warnings + d.warnings }),
      { records: 0, errors: 0, warnings: 0 },
    );
    const result = { files: datasets.length, ...totals, durationMs: performance.now() - t0 };
    log.info(`workspace lint: ${result.files} files, ${result.records} records, ${result.errors} errors, ${result.warnings} warnings in ${result.durationMs.toFixed(0)} ms`);
    return result;
  });

  registerDecisionHandlers(connection, {
    folders: () => folders.map((f) => f.uri),
    datasetDeps: (root) => ({
      datasets: async () => (await findDatasets(root, { exclude: settings.exclude, limit: MAX_WORKSPACE_FILES })).files,
      lint: async (file) => {
        const uri = pathToFileURL(file).href;
        const o = open.get(uri) ?? [...open.values()].find((x) => sameFile(x.uri, uri));
        if (o) {
          const r = o.doc.lint();
          return { records: r.records, format: r.format, findings: o.encoding.length ? [...o.encoding, ...r.findings] : r.findings };
        }
        try {
          const r = await lintFromDisk(file);
          return { records: r.records, format: r.format, findings: r.findings };
        } catch (e) {
          if (e instanceof DatasetReadError) return { records: 0, format: null, findings: [], readError: e.message };
          throw e;
        }
      },
    }),
    publishManifest: (manifestPath) => void publishManifest(manifestPath),
    log: (m) => log.info(m),
  });

  connection.onRequest(RuntimeInfoRequest.method, () => ({ pid: process.pid, version, node: process.version, startedAt }));

  process.on('uncaughtException', (e) => log.error(`uncaught: ${e?.stack ?? e}`));
  process.on('unhandledRejection', (e) => log.error(`unhandled rejection: ${(e as Error)?.stack ?? e}`));

  connection.listen();
  return connection;
}

function counts(findings: Finding[]): { errors: number; warnings: number } {
  let errors = 0;
  let warnings = 0;
  for (const f of findings) {
    if (f.severity === 'error') errors++;
    else if (f.severity === 'warning') warnings++;
  }
  return { errors, warnings };
}

function sameFile(a: string, b: string): boolean {
  // VS Code encodes some characters (e.g. ':' in drive letters) differently from Node's pathToFileURL.
  try {
    return fileURLToPath(a) === fileURLToPath(b);
  } catch {
    return false;
  }
}

/** Schema problems of a training config (`*.train.yaml`), at the YAML range of the key or value at fault. */
function trainConfigDiagnostics(uri: string, text: string): Diagnostic[] {
  return parseTrainConfig(text, path.basename(uri)).problems.map((m) => ({
    range: { start: { line: m.line, character: m.column }, end: { line: m.endLine, character: m.endColumn } },
    severity: m.severity === 'error' ? DiagnosticSeverity.Error : DiagnosticSeverity.Warning,
    source: 'llmops',
    code: 'train-config',
    message: m.message,
  }));
}

function isTrainConfig(uri: string): boolean {
  return /\.train\.ya?ml$/i.test(uri);
}

/** Prompt files: `*.prompt.md` / `.txt` / `.yaml` (the cost of sending them). */
function isPromptFile(uri: string): boolean {
  return /\.prompt\.(md|txt|ya?ml)$/i.test(uri);
}

function hasNul(doc: JsonlDocument): boolean {
  // Only the first lines: binary files announce themselves early, and this runs on every keystroke.
  const n = Math.min(doc.lineCount, 8);
  for (let i = 0; i < n; i++) if (doc.line(i).includes('\u0000')) return true;
  return false;
}
