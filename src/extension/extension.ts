import * as vscode from 'vscode';
import { registerCommands } from './commands';
import { CostBreakdownPanel, CostStatus } from './costView';
import { DecisionSidebar, decisionViewId } from './decisionView';
import { RuntimeClient } from './runtimeClient';
import { ProjectSidebar, sidebarViewId } from './sidebar';
import { RuntimeStatus } from './statusBar';

let runtime: RuntimeClient | undefined;
declare const __llmopsLoadStart: number | undefined;

/**
 * Activation stays on the extension host's critical path, so it only wires things up: the runtime
 * starts asynchronously and everything heavy happens in that process.
 */
export function activate(context: vscode.ExtensionContext): void {
  const t0 = performance.now();
  const log = vscode.window.createOutputChannel('LLMOps', { log: true });
  const status = new RuntimeStatus();
  runtime = new RuntimeClient(context, log, status);
  const sidebar = new ProjectSidebar(context.extensionUri, runtime, status, log);
  const costPanel = new CostBreakdownPanel(runtime);
  const decision = new DecisionSidebar(context.extensionUri, runtime, status, log);
  context.subscriptions.push(
    costPanel,
    new CostStatus(runtime),
    log,
    status,
    runtime,
    sidebar,
    vscode.window.registerWebviewViewProvider(sidebarViewId, sidebar),
    decision,
    vscode.window.registerWebviewViewProvider(decisionViewId, decision),
    ...registerCommands({ runtime, sidebar, costPanel, decision, log }),
  );
  const r = runtime;
  setImmediate(() => void r.start());
  const now = performance.now();
  const load = typeof __llmopsLoadStart === 'number' ? t0 - __llmopsLoadStart : NaN;
  log.info(`activated in ${(now - t0).toFixed(1)} ms (bundle evaluation before that: ${load.toFixed(1)} ms)`);
}

export function deactivate(): Promise<void> | undefined {
  return runtime?.dispose();
}
