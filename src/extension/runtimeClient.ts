import * as fs from 'node:fs';
import * as vscode from 'vscode';
import type { CloseHandlerResult, ErrorHandler, ErrorHandlerResult, LanguageClient, LanguageClientOptions, ServerOptions } from 'vscode-languageclient/node';
import { deferred as lc } from './lazy';
import { LintWorkspaceRequest, type NotificationDef, type RequestDef } from '../protocol/runtime';
import { readSettings, runtimeSettings } from './settings';
import type { RuntimeStatus } from './statusBar';

/** Crashes tolerated within the window before we stop restarting (no crash loop). */
const MAX_RESTARTS = 4;
const RESTART_WINDOW_MS = 3 * 60_000;

export interface RuntimeLocation {
  path: string;
  from: 'setting' | 'environment' | 'bundled';
}

/** Setting → environment → bundled copy; a custom path is honoured only in a trusted workspace. */
export function resolveRuntime(context: vscode.ExtensionContext): RuntimeLocation {
  const fromSetting = readSettings().runtimePath;
  if (fromSetting && vscode.workspace.isTrusted) return { path: fromSetting, from: 'setting' };
  const fromEnv = process.env.LLMOPS_RUNTIME_PATH;
  if (fromEnv) return { path: fromEnv, from: 'environment' };
  return { path: context.asAbsolutePath('dist/runtime.js'), from: 'bundled' };
}

/** Owns the language client: start, typed requests, restart policy, status. */
export class RuntimeClient implements vscode.Disposable {
  private client: LanguageClient | undefined;
  private crashes: number[] = [];
  private readonly readyEmitter = new vscode.EventEmitter<void>();
  /** Fires each time the runtime (re)starts and is ready. */
  readonly onReady = this.readyEmitter.event;
  private readonly disposables: vscode.Disposable[] = [];
  private stopping = false;
  /**
   * Set once the user ran "Lint Workspace Datasets": diagnostics of closed files live in the runtime,
   * so a restarted runtime repeats the lint to keep the Problems panel as it was.
   */
  workspaceLinted = false;
  private starts = 0;

  constructor(
    private readonly context: vscode.ExtensionContext,
    private readonly log: vscode.LogOutputChannel,
    private readonly status: RuntimeStatus,
  ) {}

  get running(): boolean {
    return this.client?.state === lc().State.Running;
  }

  async start(): Promise<void> {
    const where = resolveRuntime(this.context);
    if (!fs.existsSync(where.path)) {
      const msg = `LLMOps runtime not found at ${where.path} (from the ${where.from === 'setting' ? 'llmops.runtime.path setting' : where.from === 'environment' ? 'LLMOPS_RUNTIME_PATH variable' : 'extension folder — run npm run build'}).`;
      this.log.error(msg);
      this.status.set('failed', msg);
      void vscode.window.showErrorMessage(msg, 'Open Settings').then((a) => {
        if (a) void vscode.commands.executeCommand('workbench.action.openSettings', 'llmops.runtime');
      });
      return;
    }
    this.log.info(`starting runtime ${where.path} (${where.from})`);
    const { ErrorAction, LanguageClient, State, TransportKind } = lc();
    const nodePath = readSettings().nodePath;
    const run = {
      module: where.path,
      transport: TransportKind.ipc,
      args: ['--lsp'],
      ...(nodePath && vscode.workspace.isTrusted ? { runtime: nodePath } : {}),
    };
    // Only in an Extension Development Host (F5, "Run Extension") does the runtime listen for the
    // debugger ("Attach to Runtime", port 6009); an installed extension never opens a port.
    const serverOptions: ServerOptions =
      this.context.extensionMode === vscode.ExtensionMode.Development
        ? { run, debug: { ...run, options: { execArgv: ['--nolazy', '--inspect=6009'] } } }
        : run;
    const errorHandler: ErrorHandler = {
      error: (): ErrorHandlerResult => ({ action: ErrorAction.Continue, handled: true }),
      closed: (): CloseHandlerResult => this.onClosed(),
    };
    const clientOptions: LanguageClientOptions = {
      documentSelector: [
        { scheme: 'file', pattern: '**/*.jsonl' },
        { scheme: 'untitled', language: 'jsonl' },
        // Training configs: the runtime shows the run's cost (the YAML itself is validated by the schema).
        { scheme: 'file', pattern: '**/*.train.{yaml,yml}' },
        // Prompt files: tokens and the cost of one request and of a month of them.
        { scheme: 'file', pattern: '**/*.prompt.{md,txt,yaml,yml}' },
      ],
      outputChannel: this.log,
      errorHandler,
      initializationOptions: runtimeSettings(readSettings()),
      synchronize: {
        fileEvents: [
          vscode.workspace.createFileSystemWatcher('**/{*.jsonl,llmops.yaml,*.train.yaml,*.train.yml,*.eval.yaml}'),
          // Run folders move the Decision view's lifecycle (training, evaluation, deployment).
          vscode.workspace.createFileSystemWatcher('**/.llmops/runs/*/run.json'),
        ],
      },
      // The status bar and our own warning say when it crashed; don't steal focus.
      revealOutputChannelOn: 4 /* RevealOutputChannelOn.Never */,
    };
    const client = new LanguageClient('llmops', 'LLMOps Runtime', serverOptions, clientOptions);
    this.client = client;
    this.disposables.push(
      client.onDidChangeState((e) => {
        if (e.newState === State.Running) {
          this.status.set('ready');
          this.readyEmitter.fire();
          if (++this.starts > 1 && this.workspaceLinted) {
            void client.sendRequest(LintWorkspaceRequest.method, {}).then(
              () => this.log.info('restored workspace lint diagnostics after a runtime restart'),
              (err: unknown) => this.log.warn(`could not repeat the workspace lint after a restart: ${(err as Error)?.message ?? err}`),
            );
          }
        } else if (e.newState === State.Starting) {
          if (this.status.state !== 'restarting') this.status.set('starting');
        } else if (e.newState === State.Stopped && !this.stopping && this.status.state !== 'restarting' && this.status.state !== 'failed') {
          this.status.set('stopped');
        }
      }),
      vscode.workspace.onDidChangeConfiguration((e) => {
        if (e.affectsConfiguration('llmops') && this.running) {
          void client.sendNotification('workspace/didChangeConfiguration', { settings: { llmops: runtimeSettings(readSettings()) } });
        }
      }),
    );
    this.status.set('starting');
    try {
      await client.start();
    } catch (e) {
      const msg = `LLMOps runtime failed to start: ${(e as Error)?.message ?? e}`;
      this.log.error(msg);
      this.status.set('failed', msg);
      void vscode.window.showErrorMessage(msg, 'Show Logs').then((a) => a && this.log.show());
    }
  }

  private onClosed(): CloseHandlerResult {
    if (this.stopping) return { action: lc().CloseAction.DoNotRestart, handled: true };
    const now = Date.now();
    this.crashes = this.crashes.filter((t) => now - t < RESTART_WINDOW_MS);
    this.crashes.push(now);
    if (this.crashes.length > MAX_RESTARTS) {
      const msg = `The LLMOps runtime crashed ${this.crashes.length} times in 3 minutes and will not be restarted automatically.`;
      this.log.error(msg);
      this.status.set('failed', msg);
      void vscode.window.showErrorMessage(msg, 'Restart Runtime', 'Show Logs').then((a) => {
        if (a === 'Restart Runtime') void this.restart();
        else if (a) this.log.show();
      });
      return { action: lc().CloseAction.DoNotRestart, handled: true };
    }
    const msg = `The LLMOps runtime stopped unexpectedly and is restarting (${this.crashes.length}/${MAX_RESTARTS}).`;
    this.log.warn(msg);
    this.status.set('restarting', msg);
    void vscode.window.showWarningMessage(msg, 'Show Logs').then((a) => a && this.log.show());
    return { action: lc().CloseAction.Restart, handled: true };
  }

  async restart(): Promise<void> {
    this.crashes = [];
    if (!this.client) return this.start();
    this.status.set('starting');
    try {
      await this.client.restart();
    } catch (e) {
      // A client that gave up (DoNotRestart) cannot restart: build a fresh one.
      this.log.warn(`restart failed (${(e as Error)?.message ?? e}); starting a new runtime`);
      await this.disposeClient();
      await this.start();
    }
  }

  async request<P, R>(def: RequestDef<P, R>, params: P): Promise<R> {
    if (!this.client || this.client.state !== lc().State.Running) {
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => {
          sub.dispose();
          reject(new Error('the LLMOps runtime is not running'));
        }, 15_000);
        const sub = this.onReady(() => {
          clearTimeout(timer);
          sub.dispose();
          resolve();
        });
      });
    }
    return this.client!.sendRequest<R>(def.method, params);
  }

  onNotification<P>(def: NotificationDef<P>, handler: (p: P) => void): vscode.Disposable {
    // Handlers are registered on every (re)started client.
    let current: vscode.Disposable | undefined;
    const attach = (): void => {
      current?.dispose();
      current = this.client?.onNotification(def.method, handler);
    };
    attach();
    const sub = this.onReady(attach);
    return new vscode.Disposable(() => {
      sub.dispose();
      current?.dispose();
    });
  }

  private async disposeClient(): Promise<void> {
    const c = this.client;
    this.client = undefined;
    this.disposables.splice(0).forEach((d) => d.dispose());
    if (c) {
      this.stopping = true;
      try {
        await c.dispose(2000);
      } catch {
        // already dead
      } finally {
        this.stopping = false;
      }
    }
  }

  async dispose(): Promise<void> {
    this.stopping = true;
    await this.disposeClient();
    this.readyEmitter.dispose();
  }
}
