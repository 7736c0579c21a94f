import * as vscode from 'vscode';
import { LintWorkspaceRequest } from '../protocol/runtime';
import type { CostBreakdownPanel } from './costView';
import { decisionViewId, type DecisionSidebar } from './decisionView';
import type { RuntimeClient } from './runtimeClient';
import type { ProjectSidebar } from './sidebar';

export interface CommandContext {
  runtime: RuntimeClient;
  sidebar: ProjectSidebar;
  costPanel: CostBreakdownPanel;
  decision: DecisionSidebar;
  log: vscode.LogOutputChannel;
}

const plural = (n: number, w: string): string => `${n} ${w}${n === 1 ? '' : 's'}`;

/** Every command, registered in one loop. Ids match package.json `contributes.commands`. */
export const commandTable: Record<string, (c: CommandContext, ...args: unknown[]) => unknown> = {
  'llmops.lintWorkspace': async ({ runtime, sidebar, decision, log }) => {
    try {
      const r = await vscode.window.withProgress(
        { location: vscode.ProgressLocation.Notification, title: 'LLMOps: linting workspace datasets…' },
        () => runtime.request(LintWorkspaceRequest, {}),
      );
      runtime.workspaceLinted = true;
      void sidebar.refresh();
      void decision.refresh(); // the lifecycle's data stage shows the lint state
      const msg = `LLMOps: linted ${plural(r.files, 'dataset')} (${plural(r.records, 'record')}) — ${plural(r.errors, 'error')}, ${plural(r.warnings, 'warning')}.`;
      log.info(msg);
      const show = r.errors + r.warnings > 0 ? 'Show Problems' : undefined;
      const pick = await (r.errors ? vscode.window.showWarningMessage(msg, ...(show ? [show] : [])) : vscode.window.showInformationMessage(msg, ...(show ? [show] : [])));
      if (pick) await vscode.commands.executeCommand('workbench.actions.view.problems');
    } catch (e) {
      void vscode.window.showErrorMessage(`LLMOps: workspace lint failed: ${(e as Error)?.message ?? e}`);
    }
  },
  'llmops.restartRuntime': ({ runtime }) => runtime.restart(),
  'llmops.showLogs': ({ log }) => log.show(),
  'llmops.refreshProject': ({ sidebar }) => sidebar.refresh(),
  'llmops.showCostBreakdown': async ({ costPanel }, uri) => {
    try {
      await costPanel.show(uri);
    } catch (e) {
      void vscode.window.showErrorMessage(`LLMOps: cost breakdown failed: ${(e as Error)?.message ?? e}`);
    }
  },
  'llmops.openDecision': () => vscode.commands.executeCommand(`${decisionViewId}.focus`),
  /** Optional argument: the approach (from a next step in the Decision view); else the recommended one. */
  'llmops.createTrainingConfig': ({ decision }, approach) => decision.createTrainingConfig(approach),
  'llmops.exportDecisionReport': ({ decision }) => decision.exportReport(),
};

export function registerCommands(ctx: CommandContext): vscode.Disposable[] {
  return Object.entries(commandTable).map(([id, fn]) => vscode.commands.registerCommand(id, (...args: unknown[]) => fn(ctx, ...args)));
}
