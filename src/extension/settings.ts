import * as vscode from 'vscode';
import type { RuntimeSettings } from '../protocol/runtime';

/** Every `llmops.*` setting, read in one place. Keys match package.json `contributes.configuration`. */
export interface Settings {
  runtimePath: string;
  nodePath: string;
  maxProblemsPerFile: number;
  exclude: string[];
  costLens: boolean;
  inlayHints: 'auto' | 'on' | 'off';
  costStatusBar: boolean;
}

export function readSettings(): Settings {
  const c = vscode.workspace.getConfiguration('llmops');
  return {
    runtimePath: c.get<string>('runtime.path', '').trim(),
    nodePath: c.get<string>('runtime.nodePath', '').trim(),
    maxProblemsPerFile: c.get<number>('lint.maxProblemsPerFile', 1000),
    exclude: c.get<string[]>('datasets.exclude', []),
    costLens: c.get<boolean>('cost.codeLens', true),
    inlayHints: ((v) => (v === 'on' || v === 'off' ? v : 'auto'))(c.get<string>('cost.inlayHints', 'auto')),
    costStatusBar: c.get<boolean>('cost.statusBar', true),
  };
}

export function runtimeSettings(s: Settings): RuntimeSettings {
  return { maxProblemsPerFile: s.maxProblemsPerFile, exclude: s.exclude, costLens: s.costLens, inlayHints: s.inlayHints };
}
