import * as vscode from 'vscode';
import type { RuntimeSettings } from '../protocol/runtime';

/** Every `llmops.*` setting, read in one place. Keys match package.json `contributes.configuration`. */
export interface Settings {
  runtimePath: string;
  nodePath: string;
  maxProblemsPerFile: number;
  exclude: string[];
}

export function readSettings(): Settings {
  const c = vscode.workspace.getConfiguration('llmops');
  return {
    runtimePath: c.get<string>('runtime.path', '').trim(),
    nodePath: c.get<string>('runtime.nodePath', '').trim(),
    maxProblemsPerFile: c.get<number>('lint.maxProblemsPerFile', 1000),
    exclude: c.get<string[]>('datasets.exclude', []),
  };
}

export function runtimeSettings(s: Settings): RuntimeSettings {
  return { maxProblemsPerFile: s.maxProblemsPerFile, exclude: s.exclude };
}
