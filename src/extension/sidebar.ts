import * as vscode from 'vscode';
import { DatasetsChangedNotification, DatasetsRequest } from '../protocol/runtime';
import type { SidebarState, StateMessage } from '../protocol/sidebar';
import { deferred } from './lazy';
import type { RuntimeClient } from './runtimeClient';
import type { RuntimeStatus } from './statusBar';

export const sidebarViewId = 'llmops.project';

/** The "Project" webview view: datasets at a glance, from the runtime. */
export class ProjectSidebar implements vscode.WebviewViewProvider, vscode.Disposable {
  private view: vscode.WebviewView | undefined;
  private state: SidebarState = { runtime: 'starting', datasets: null, truncated: false, folders: 0, loading: false };
  private readonly disposables: vscode.Disposable[] = [];
  private refreshing: Promise<void> | undefined;
  private refreshAgain = false;

  constructor(
    private readonly extensionUri: vscode.Uri,
    private readonly runtime: RuntimeClient,
    private readonly status: RuntimeStatus,
    private readonly log: vscode.LogOutputChannel,
  ) {
    this.disposables.push(
      runtime.onReady(() => void this.refresh()),
      status.onDidChange(() => this.updateRuntime()),
      runtime.onNotification(DatasetsChangedNotification, () => void this.refresh()),
      vscode.workspace.onDidChangeWorkspaceFolders(() => void this.refresh()),
    );
  }

  resolveWebviewView(view: vscode.WebviewView): void {
    this.view = view;
    const dist = vscode.Uri.joinPath(this.extensionUri, 'dist', 'webviews');
    view.webview.options = { enableScripts: true, localResourceRoots: [dist, vscode.Uri.joinPath(this.extensionUri, 'media')] };
    view.webview.html = this.html(view.webview, dist);
    this.disposables.push(
      view.webview.onDidReceiveMessage((raw) => this.onMessage(raw)),
      view.onDidChangeVisibility(() => view.visible && void this.refresh()),
      view.onDidDispose(() => (this.view = undefined)),
    );
  }

  private onMessage(raw: unknown): void {
    const parsed = deferred().WebviewToExtension.safeParse(raw);
    if (!parsed.success) {
      this.log.warn(`sidebar: ignored an invalid message: ${parsed.error.issues[0]?.message ?? 'unknown'}`);
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
      case 'openDataset': {
        // Only files the runtime listed: the webview cannot make us open arbitrary URIs.
        const known = this.state.datasets?.find((d) => d.uri === m.uri);
        if (known) void vscode.window.showTextDocument(vscode.Uri.parse(known.uri), { preview: false });
        else this.log.warn(`sidebar: refused to open an unlisted file ${m.uri}`);
        break;
      }
      case 'runCommand':
        void vscode.commands.executeCommand(m.command);
        break;
    }
  }

  /** Re-reads the datasets from the runtime; concurrent calls coalesce into one follow-up. */
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
        this.state.loading = true;
        this.post();
        try {
          const r = await this.runtime.request(DatasetsRequest, {});
          this.state = { ...this.state, datasets: r.datasets, truncated: r.truncated, error: undefined };
        } catch (e) {
          this.state.error = `Could not read datasets: ${(e as Error)?.message ?? e}`;
        }
        this.state.loading = false;
        this.state.runtime = this.status.state;
        this.post();
      } while (this.refreshAgain);
    })().finally(() => (this.refreshing = undefined));
    return this.refreshing;
  }

  /** Pushes the runtime state (status bar changes) without a rescan. */
  updateRuntime(): void {
    this.state.runtime = this.status.state;
    this.post();
  }

  private post(): void {
    const msg: StateMessage = { type: 'state', state: this.state };
    void this.view?.webview.postMessage(msg);
  }

  private html(webview: vscode.Webview, dist: vscode.Uri): string {
    const nonce = makeNonce();
    const script = webview.asWebviewUri(vscode.Uri.joinPath(dist, 'sidebar.js'));
    const style = webview.asWebviewUri(vscode.Uri.joinPath(dist, 'sidebar.css'));
    const codicons = webview.asWebviewUri(vscode.Uri.joinPath(dist, 'codicon.css'));
    const csp = [
      "default-src 'none'",
      `img-src ${webview.cspSource} data:`,
      `style-src ${webview.cspSource} 'nonce-${nonce}'`,
      `font-src ${webview.cspSource}`,
      `script-src 'nonce-${nonce}'`,
    ].join('; ');
    return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy" content="${csp}">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
<link rel="stylesheet" href="${codicons}" id="vscode-codicon-stylesheet" nonce="${nonce}">
<link rel="stylesheet" href="${style}" nonce="${nonce}">
<title>LLMOps Project</title>
</head>
<body>
<main id="app" aria-live="polite"><p class="muted">Loading…</p></main>
<script nonce="${nonce}" src="${script}"></script>
</body>
</html>`;
  }

  dispose(): void {
    this.disposables.forEach((d) => d.dispose());
  }
}

function makeNonce(): string {
  const chars = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
  let s = '';
  const bytes = new Uint8Array(32);
  globalThis.crypto.getRandomValues(bytes);
  for (const b of bytes) s += chars[b % chars.length];
  return s;
}
