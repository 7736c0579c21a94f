import * as vscode from 'vscode';

export type RuntimeState = 'starting' | 'ready' | 'restarting' | 'stopped' | 'failed';

const look: Record<RuntimeState, { icon: string; label: string; tip: string; bg?: string }> = {
  starting: { icon: '$(loading~spin)', label: 'LLMOps: starting', tip: 'LLMOps runtime is starting' },
  ready: { icon: '$(check)', label: 'LLMOps', tip: 'LLMOps runtime is ready' },
  restarting: { icon: '$(sync~spin)', label: 'LLMOps: restarting', tip: 'LLMOps runtime crashed and is restarting', bg: 'statusBarItem.warningBackground' },
  stopped: { icon: '$(circle-slash)', label: 'LLMOps: stopped', tip: 'LLMOps runtime is stopped — click to restart' },
  failed: { icon: '$(error)', label: 'LLMOps: crashed', tip: 'LLMOps runtime keeps crashing and was not restarted — click to restart', bg: 'statusBarItem.errorBackground' },
};

/** The runtime's state in the status bar; click shows logs when healthy, restarts otherwise. */
export class RuntimeStatus implements vscode.Disposable {
  private readonly item = vscode.window.createStatusBarItem('llmops.status', vscode.StatusBarAlignment.Left, 10);
  state: RuntimeState = 'starting';
  private detail = '';
  private readonly changed = new vscode.EventEmitter<RuntimeState>();
  readonly onDidChange = this.changed.event;

  constructor() {
    this.item.name = 'LLMOps Runtime';
    this.set('starting');
    this.item.show();
  }

  set(state: RuntimeState, detail = ''): void {
    this.state = state;
    this.detail = detail;
    const l = look[state];
    this.item.text = `${l.icon} ${l.label}`;
    this.item.tooltip = this.detail ? `${l.tip}\n${this.detail}` : l.tip;
    this.item.backgroundColor = l.bg ? new vscode.ThemeColor(l.bg) : undefined;
    this.item.accessibilityInformation = { label: `${l.tip}${this.detail ? '. ' + this.detail : ''}` };
    this.item.command = state === 'ready' || state === 'starting' ? 'llmops.showLogs' : 'llmops.restartRuntime';
    this.changed.fire(state);
  }

  dispose(): void {
    this.changed.dispose();
    this.item.dispose();
  }
}
