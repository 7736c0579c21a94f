import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { approachIds, type ApproachId, type DecisionInputs } from '../core/decision/types';
import {
  DecisionChangedNotification,
  DecisionReportRequest,
  DecisionSaveRequest,
  DecisionStateRequest,
  StarterTrainConfigRequest,
  type DecisionState,
} from '../protocol/decision';
import type { DecisionExtensionToWebview, DecisionViewCommand, DecisionViewState } from '../protocol/decisionWebview';
import { deferred } from './lazy';
import type { RuntimeClient } from './runtimeClient';
import type { RuntimeStatus } from './statusBar';
import { minimalReplacement } from './textEdit';

export const decisionViewId = 'llmops.decision';

/** Approaches that train a model (a starter training config makes sense for them). */
const trainable: readonly ApproachId[] = ['sft', 'persona-tuning', 'tool-calling-sft', 'dpo', 'continued-pretraining'];
const approachTitles: Record<ApproachId, string> = {
  'prompt-engineering': 'Prompt engineering',
  rag: 'RAG',
  sft: 'Supervised fine-tuning (SFT)',
  'persona-tuning': 'Persona tuning',
  'tool-calling-sft': 'Tool-calling SFT',
  dpo: 'DPO alignment',
  'continued-pretraining': 'Continued pretraining',
};
const isApproach = (a: unknown): a is ApproachId => typeof a === 'string' && (approachIds as readonly string[]).includes(a);
const errText = (e: unknown): string => (e as Error)?.message ?? String(e);

/** Webview timings, as reported (for the log and the real-editor test). */
export interface DecisionPerf {
  /** Script start of the webview document → first frame with content (ms, webview clock). */
  firstPaintMs: number;
  /** resolveWebviewView → first frame with content (ms, wall clock of both sides). */
  sinceResolveMs: number;
  updateMs: number[];
}

/**
 * The "Decision" webview view: questions, live recommendation (computed in the webview), matrix, ROI,
 * lifecycle. The extension host holds what the runtime knows about the project, saves the answers into
 * llmops.yaml as an undoable WorkspaceEdit, and runs the allowlisted next-step commands.
 */
export class DecisionSidebar implements vscode.WebviewViewProvider, vscode.Disposable {
  private view: vscode.WebviewView | undefined;
  private state: DecisionViewState = { runtime: 'starting', folders: 0, project: null, loading: false, saving: false };
  /** The latest answers the webview reported (validated): what the palette commands use. */
  private latest: { inputs: Partial<DecisionInputs>; top: ApproachId[] | null; dirty: boolean } | null = null;
  private readonly disposables: vscode.Disposable[] = [];
  private refreshing: Promise<void> | undefined;
  private refreshAgain = false;
  private refreshTimer: NodeJS.Timeout | undefined;
  private resolvedAt = 0;
  perf: DecisionPerf | undefined;

  constructor(
    private readonly extensionUri: vscode.Uri,
    private readonly runtime: RuntimeClient,
    private readonly status: RuntimeStatus,
    private readonly log: vscode.LogOutputChannel,
  ) {
    this.disposables.push(
      runtime.onReady(() => this.view && void this.refresh()),
      status.onDidChange(() => {
        this.state.runtime = this.status.state;
        this.post();
      }),
      runtime.onNotification(DecisionChangedNotification, () => this.scheduleRefresh()),
      // The runtime hears about llmops.yaml through file events; a save in the editor is the common case.
      vscode.workspace.onDidSaveTextDocument((d) => path.basename(d.uri.fsPath) === 'llmops.yaml' && this.scheduleRefresh()),
      vscode.workspace.onDidChangeWorkspaceFolders(() => this.scheduleRefresh()),
    );
  }

  resolveWebviewView(view: vscode.WebviewView): void {
    this.resolvedAt = Date.now();
    this.view = view;
    this.state.folders = vscode.workspace.workspaceFolders?.length ?? 0;
    this.state.runtime = this.status.state;
    const dist = vscode.Uri.joinPath(this.extensionUri, 'dist', 'webviews');
    view.webview.options = { enableScripts: true, localResourceRoots: [dist, vscode.Uri.joinPath(this.extensionUri, 'media')] };
    view.webview.html = this.html(view.webview, dist);
    this.disposables.push(
      view.webview.onDidReceiveMessage((raw) => void this.onMessage(raw)),
      view.onDidChangeVisibility(() => {
        if (view.visible) this.resolvedAt = Date.now();
      }),
      view.onDidDispose(() => (this.view = undefined)),
    );
  }

  private async onMessage(raw: unknown): Promise<void> {
    const parsed = deferred().DecisionWebviewToExtension.safeParse(raw);
    if (!parsed.success) {
      this.log.warn(`decision view: ignored an invalid message: ${parsed.error.issues[0]?.message ?? 'unknown'} at ${parsed.error.issues[0]?.path.join('.') ?? ''}`);
      return;
    }
    const m = parsed.data;
    switch (m.type) {
      case 'ready':
        this.post();
        void this.refresh();
        break;
      case 'refresh':
        void this.refresh();
        break;
      case 'answers':
        this.latest = { inputs: m.inputs as Partial<DecisionInputs>, top: m.top, dirty: m.dirty };
        break;
      case 'save':
        await this.save(m.inputs as Partial<DecisionInputs>);
        break;
      case 'runCommand':
        await this.runCommand(m.command, m.approach);
        break;
      case 'openFile':
        await this.openListedFile(m.path, m.line);
        break;
      case 'perf': {
        const first = !this.perf;
        this.perf = { firstPaintMs: m.firstPaintMs, sinceResolveMs: m.paintedAt - this.resolvedAt, updateMs: m.updateMs };
        if (first) this.log.info(`decision view: first paint ${m.firstPaintMs.toFixed(0)} ms into the webview, ${this.perf.sinceResolveMs.toFixed(0)} ms after the view opened`);
        break;
      }
    }
  }

  private scheduleRefresh(): void {
    clearTimeout(this.refreshTimer);
    this.refreshTimer = setTimeout(() => void this.refresh(), 150);
  }

  private folder(): vscode.WorkspaceFolder | undefined {
    return vscode.workspace.workspaceFolders?.[0];
  }

  /** What the runtime's lifecycle paths are relative to: llmops.yaml's folder, else the workspace folder. */
  private projectRoot(): vscode.Uri | undefined {
    const m = this.state.project?.manifestPath;
    return m ? vscode.Uri.file(path.dirname(m)) : this.folder()?.uri;
  }

  private listedUri(p: string): vscode.Uri | undefined {
    const root = this.projectRoot();
    if (!root) return undefined;
    return path.isAbsolute(p) ? vscode.Uri.file(p) : vscode.Uri.joinPath(root, ...p.split('/'));
  }

  /** Asks the runtime for the project's decision state; concurrent calls coalesce into one follow-up. */
  refresh(): Promise<void> {
    this.state.runtime = this.status.state;
    this.state.folders = vscode.workspace.workspaceFolders?.length ?? 0;
    if (!this.view) return Promise.resolve();
    if (this.refreshing) {
      this.refreshAgain = true;
      return this.refreshing;
    }
    this.refreshing = (async () => {
      do {
        this.refreshAgain = false;
        await this.fetchState();
      } while (this.refreshAgain);
    })().finally(() => (this.refreshing = undefined));
    return this.refreshing;
  }

  private async fetchState(): Promise<DecisionState | null> {
    const folder = this.folder();
    if (!folder) {
      this.state = { ...this.state, project: null, loading: false, error: undefined, folders: 0 };
      this.post();
      return null;
    }
    this.state.loading = true;
    this.post();
    try {
      const project = await this.runtime.request(DecisionStateRequest, { folder: folder.uri.toString() });
      this.state = { ...this.state, project, error: undefined };
    } catch (e) {
      this.state.error = `Could not read the project's decision state: ${errText(e)}`;
    }
    this.state.loading = false;
    this.state.runtime = this.status.state;
    this.post();
    return this.state.project;
  }

  private post(m?: DecisionExtensionToWebview): void {
    void this.view?.webview.postMessage(m ?? { type: 'state', state: { ...this.state, openedAt: this.resolvedAt } });
  }

  // -------------------------------------------------------------------------------------------
  // Save

  private async save(inputs: Partial<DecisionInputs>): Promise<void> {
    const folder = this.folder();
    const fail = (message: string, line?: number): void => this.post({ type: 'saveFailed', message, ...(line ? { line } : {}) });
    if (!folder) return fail('Open a folder first: the decision is saved in its llmops.yaml.');
    if (this.state.saving) return;
    this.state.saving = true;
    this.post();
    try {
      // Never write over a manifest the runtime cannot read: the problem must be fixed by hand first.
      // (An open editor's unsaved text is what gets saved: the runtime checks that text instead.)
      const current = await this.fetchState();
      const manifest = current?.manifestPath ? vscode.Uri.file(current.manifestPath) : vscode.Uri.joinPath(folder.uri, 'llmops.yaml');
      const open = vscode.workspace.textDocuments.find((d) => d.uri.toString() === manifest.toString());
      if (current?.problem && !open?.isDirty) return fail(`llmops.yaml cannot be read: ${current.problem.message}`, current.problem.line);
      const version = open?.version;
      const r = await this.runtime.request(DecisionSaveRequest, { folder: folder.uri.toString(), text: open ? open.getText() : null, inputs });
      if (!r.ok) {
        this.state.project = this.state.project ? { ...this.state.project, problem: r.problem } : this.state.project;
        return fail(r.problem.message, r.problem.line);
      }
      const target = path.isAbsolute(r.path) ? vscode.Uri.file(r.path) : vscode.Uri.joinPath(folder.uri, r.path);
      if (target.toString() !== manifest.toString() || path.basename(target.fsPath) !== 'llmops.yaml') {
        return fail(`the runtime proposed to write ${r.path}, not ${vscode.workspace.asRelativePath(manifest)}; nothing was written.`);
      }
      await writeDocument(target, r.text, version);
      const rel = vscode.workspace.asRelativePath(target, false);
      this.log.info(`decision saved to ${rel} (revision ${r.saved.revision}, ${r.saved.result.id})`);
      this.post({ type: 'saved', inputs, saved: r.saved, path: rel });
      if (this.state.project) this.state.project = { ...this.state.project, saved: r.saved, manifestPath: target.fsPath };
    } catch (e) {
      this.log.warn(`decision save failed: ${errText(e)}`);
      fail(errText(e));
    } finally {
      this.state.saving = false;
      this.post();
      this.scheduleRefresh();
    }
  }

  // -------------------------------------------------------------------------------------------
  // Webview requests

  private async runCommand(command: DecisionViewCommand, approach?: ApproachId): Promise<void> {
    if (command === 'llmops.createTrainingConfig') {
      await vscode.commands.executeCommand(command, approach);
      return;
    }
    if (command === 'llmops.showCostBreakdown' && !vscode.window.activeTextEditor?.document.uri.path.endsWith('.jsonl')) {
      // From the sidebar there is no active dataset: price the project's first listed one.
      const data = this.state.project?.lifecycle.find((s) => s.stage === 'data')?.files.find((f) => f.endsWith('.jsonl'));
      const uri = data ? this.listedUri(data) : undefined;
      if (uri) {
        await vscode.commands.executeCommand(command, uri);
        return;
      }
    }
    await vscode.commands.executeCommand(command);
  }

  /** Opens a file only if the extension listed it to the webview (lifecycle files, llmops.yaml). */
  private async openListedFile(p: string, line?: number): Promise<void> {
    const project = this.state.project;
    if (!project) return;
    let uri: vscode.Uri | undefined;
    if (project.manifestPath && p === project.manifestPath) uri = vscode.Uri.file(project.manifestPath);
    else if (project.lifecycle.some((s) => s.files.includes(p))) uri = this.listedUri(p);
    if (!uri) {
      this.log.warn(`decision view: refused to open an unlisted file ${p}`);
      return;
    }
    const pos = line ? new vscode.Position(line - 1, 0) : undefined;
    try {
      await vscode.window.showTextDocument(uri, { preview: false, ...(pos ? { selection: new vscode.Range(pos, pos) } : {}) });
    } catch (e) {
      void vscode.window.showErrorMessage(`LLMOps: could not open ${p}: ${errText(e)}`);
    }
  }

  // -------------------------------------------------------------------------------------------
  // Commands (registered in commands.ts)

  /** The answers to report on: the sidebar's current ones, else the saved decision's. */
  private async currentAnswers(): Promise<{ inputs: Partial<DecisionInputs>; top: ApproachId[] | null; dirty: boolean }> {
    if (this.latest) return this.latest;
    const project = this.state.project ?? (await this.runtime.request(DecisionStateRequest, { folder: this.folder()?.uri.toString() }));
    this.state.project ??= project;
    return { inputs: project.saved?.inputs ?? {}, top: project.saved?.result.approaches ?? null, dirty: false };
  }

  async createTrainingConfig(approachArg?: unknown): Promise<void> {
    const folder = this.folder();
    if (!folder) {
      void vscode.window.showInformationMessage('LLMOps: open a folder to create a training config in.');
      return;
    }
    try {
      let approach = isApproach(approachArg) && trainable.includes(approachArg) ? approachArg : undefined;
      if (!approach) {
        const top = (await this.currentAnswers()).top;
        approach = top?.find((a) => trainable.includes(a));
        if (!approach) {
          const title = top ? top.map((a) => approachTitles[a]).join(' + ') : undefined;
          const pick = await vscode.window.showQuickPick(
            trainable.map((a) => ({ label: approachTitles[a], id: a })),
            { title: 'LLMOps: starter training config', placeHolder: title ? `The recommendation (${title}) trains no model. Pick a training method:` : 'Pick a training method' },
          );
          if (!pick) return;
          approach = pick.id;
        }
      }
      const r = await this.runtime.request(StarterTrainConfigRequest, { folder: folder.uri.toString(), approach });
      const rel = safeRelative(r.fileName) ?? `${approach}.train.yaml`;
      const uri = await freeUri(folder.uri, rel);
      // The config names itself ("llmops train sft.train.yaml"): keep that right under a free name.
      const finalRel = vscode.workspace.asRelativePath(uri, false);
      const text = finalRel === rel ? r.text : r.text.split(`llmops train ${rel}`).join(`llmops train ${finalRel}`);
      await writeDocument(uri, text, undefined, true);
      await vscode.window.showTextDocument(uri, { preview: false });
      this.log.info(`created ${vscode.workspace.asRelativePath(uri, false)} for ${approach}`);
    } catch (e) {
      void vscode.window.showErrorMessage(`LLMOps: could not create a training config: ${errText(e)}`);
    }
  }

  async exportReport(): Promise<void> {
    const folder = this.folder();
    if (!folder) {
      void vscode.window.showInformationMessage('LLMOps: open a folder to export the decision report into.');
      return;
    }
    try {
      const { inputs, dirty } = await this.currentAnswers();
      const r = await this.runtime.request(DecisionReportRequest, { folder: folder.uri.toString(), inputs });
      const uri = vscode.Uri.joinPath(folder.uri, 'docs', 'decision.md');
      if (await exists(uri)) {
        const ok = await vscode.window.showWarningMessage('docs/decision.md already exists. Replace it with the current decision report?', { modal: true }, 'Replace');
        if (ok !== 'Replace') return;
      }
      await writeDocument(uri, r.markdown);
      await vscode.window.showTextDocument(uri, { preview: false });
      if (dirty) void vscode.window.showInformationMessage('LLMOps: the report uses the sidebar\'s unsaved answers; save them so llmops.yaml says the same.');
    } catch (e) {
      void vscode.window.showErrorMessage(`LLMOps: could not export the decision report: ${errText(e)}`);
    }
  }

  private html(webview: vscode.Webview, dist: vscode.Uri): string {
    const nonce = makeNonce();
    const codicons = webview.asWebviewUri(vscode.Uri.joinPath(dist, 'codicon.css'));
    const csp = [
      "default-src 'none'",
      `img-src ${webview.cspSource} data:`,
      // No inline style attributes: the webview sets positions through CSSOM (element.style), which CSP allows.
      `style-src ${webview.cspSource} 'nonce-${nonce}'`,
      `font-src ${webview.cspSource}`,
      `script-src 'nonce-${nonce}'`,
    ].join('; ');
    // The bundle and its stylesheet are inlined (under the nonce): fetching them through the webview's
    // resource loader was most of the time to first paint (measured 70–1,700 ms before the script
    // started). The codicon font's stylesheet comes after the script so it does not hold it up; the
    // icons are decorative (aria-hidden).
    const { script, style } = inlineAssets(dist);
    return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy" content="${csp}">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
<style nonce="${nonce}">${style}</style>
<title>LLMOps Decision</title>
</head>
<body>
<main id="app"><p>Loading…</p></main>
${script === null ? `<script nonce="${nonce}" src="${webview.asWebviewUri(vscode.Uri.joinPath(dist, 'decision.js'))}"></script>` : `<script nonce="${nonce}">${script}</script>`}
<link rel="stylesheet" href="${codicons}" id="vscode-codicon-stylesheet" nonce="${nonce}">
</body>
</html>`;
  }

  dispose(): void {
    clearTimeout(this.refreshTimer);
    this.disposables.forEach((d) => d.dispose());
  }
}

async function exists(uri: vscode.Uri): Promise<boolean> {
  try {
    await vscode.workspace.fs.stat(uri);
    return true;
  } catch {
    return false;
  }
}

/** A workspace-relative path that stays inside the folder, with forward slashes; undefined otherwise. */
export function safeRelative(p: string): string | undefined {
  const n = p.replace(/\\/g, '/');
  if (!n || n.startsWith('/') || /^[a-z]:/i.test(n) || n.split('/').some((s) => s === '..' || s === '')) return undefined;
  return n;
}

/** `sft.train.yaml`, else `sft-2.train.yaml`, `sft-3.train.yaml`… (never an existing file). */
async function freeUri(folder: vscode.Uri, rel: string): Promise<vscode.Uri> {
  const dir = path.posix.dirname(rel);
  const base = path.posix.basename(rel);
  const dot = base.indexOf('.');
  const stem = dot > 0 ? base.slice(0, dot) : base;
  const ext = dot > 0 ? base.slice(dot) : '';
  for (let i = 1; i < 1000; i++) {
    const name = i === 1 ? base : `${stem}-${i}${ext}`;
    const uri = vscode.Uri.joinPath(folder, ...(dir === '.' ? [] : dir.split('/')), name);
    if (!(await exists(uri))) return uri;
  }
  throw new Error(`no free file name for ${rel}`);
}

/**
 * Writes `text` to `uri` through a WorkspaceEdit (undoable, and it respects an open editor), then saves.
 * A new file is created (with its folders). With `expectVersion`, refuses if the open document changed
 * since its text was read; `mustBeNew` refuses to touch an existing file.
 */
async function writeDocument(uri: vscode.Uri, text: string, expectVersion?: number, mustBeNew = false): Promise<void> {
  const edit = new vscode.WorkspaceEdit();
  if (!(await exists(uri))) {
    edit.createFile(uri, { overwrite: false, contents: new TextEncoder().encode(text) });
    if (!(await vscode.workspace.applyEdit(edit))) throw new Error(`could not create ${vscode.workspace.asRelativePath(uri)}`);
    const created = vscode.workspace.textDocuments.find((d) => d.uri.toString() === uri.toString());
    if (created?.isDirty) await created.save();
    return;
  }
  if (mustBeNew) throw new Error(`${vscode.workspace.asRelativePath(uri)} already exists`);
  const doc = await vscode.workspace.openTextDocument(uri);
  if (expectVersion !== undefined && doc.version !== expectVersion) {
    throw new Error(`${path.basename(uri.fsPath)} changed while saving; nothing was written. Save again.`);
  }
  const r = minimalReplacement(doc.getText(), text);
  if (r) {
    edit.replace(uri, new vscode.Range(doc.positionAt(r.start), doc.positionAt(r.end)), r.text);
    if (!(await vscode.workspace.applyEdit(edit))) throw new Error(`could not edit ${vscode.workspace.asRelativePath(uri)}`);
  }
  if (doc.isDirty && !(await doc.save())) throw new Error(`could not save ${vscode.workspace.asRelativePath(uri)}`);
}

function makeNonce(): string {
  const chars = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
  let s = '';
  const bytes = new Uint8Array(32);
  globalThis.crypto.getRandomValues(bytes);
  for (const b of bytes) s += chars[b % chars.length];
  return s;
}

let assets: { dir: string; script: string | null; style: string } | undefined;

/** dist/webviews/decision.{js,css}, read once, made safe to place inside <script> and <style> (script null: load it from its file). */
function inlineAssets(dist: vscode.Uri): { script: string | null; style: string } {
  if (assets?.dir !== dist.fsPath) {
    const read = (f: string): string => readFileSync(path.join(dist.fsPath, f), 'utf8');
    const js = read('decision.js');
    assets = {
      dir: dist.fsPath,
      // `<!--` would switch the HTML parser into a script-escape state: load such a bundle from its file.
      // `</script` or `</style` inside the text would end the element early; `<\/` means the same in JS and CSS strings.
      script: js.includes('<!--') ? null : js.replace(/<\/(script)/gi, '<\\/$1').replace(/\n\/\/# sourceMappingURL=.*$/, ''),
      style: read('decision.css').replace(/<\/(style)/gi, '<\\/$1'),
    };
  }
  return assets;
}
