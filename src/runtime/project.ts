import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { RuleSet } from '../core/lint/engine';
import { findRule } from '../core/lint/rules/registry';
import { defaultLintConfig, type LintConfig, type RuleSetting, type TokenCounter } from '../core/lint/types';
import { parseManifest, type Manifest, type ManifestProblem } from '../core/project/manifest';
import { overlapFor } from './overlap';

export const MANIFEST = 'llmops.yaml';

/** A loaded llmops.yaml (or its absence) and what it means for linting. */
export interface Project {
  /** Folder of the manifest (or where the search started when there is none). */
  root: string;
  manifestPath: string | null;
  manifest?: Manifest;
  problems: ManifestProblem[];
}

/** Nearest llmops.yaml at or above `dir`, or null. */
export async function findManifest(dir: string): Promise<string | null> {
  let d = path.resolve(dir);
  for (;;) {
    const candidate = path.join(d, MANIFEST);
    try {
      if ((await fs.stat(candidate)).isFile()) return candidate;
    } catch {
      // keep looking upwards
    }
    const up = path.dirname(d);
    if (up === d) return null;
    d = up;
  }
}

export async function loadProject(manifestPath: string | null, fallbackRoot: string): Promise<Project> {
  if (!manifestPath) return { root: fallbackRoot, manifestPath: null, problems: [] };
  let text: string;
  try {
    text = await fs.readFile(manifestPath, 'utf8');
  } catch (e) {
    return { root: path.dirname(manifestPath), manifestPath, problems: [{ line: 0, column: 0, endLine: 0, endColumn: 0, severity: 'error', message: `cannot read ${MANIFEST}: ${(e as Error).message}` }] };
  }
  const parsed = parseManifest(text);
  return { root: path.dirname(manifestPath), manifestPath, manifest: parsed.manifest, problems: parsed.problems };
}

/** The role a file plays in the project (`train`, `eval`, …) from `datasets:`, if any. */
export function roleOf(project: Project, file: string): string | undefined {
  const ds = project.manifest?.datasets;
  if (!ds) return undefined;
  for (const [role, rel] of Object.entries(ds)) {
    if (typeof rel === 'string' && path.resolve(project.root, rel) === path.resolve(file)) return role;
  }
  return undefined;
}

/** Lint options of the project for one file. Rule keys may be codes or names. */
export function lintConfigFor(project: Project, file: string): LintConfig {
  const lint = project.manifest?.lint;
  const rules: Record<string, RuleSetting> = {};
  for (const [key, setting] of Object.entries(lint?.rules ?? {})) {
    const rule = findRule(key);
    if (rule) rules[rule.name] = setting as RuleSetting;
  }
  return {
    rules,
    format: lint?.format,
    nearDuplicateThreshold: lint?.near_duplicate_threshold ?? defaultLintConfig.nearDuplicateThreshold,
    minExamples: lint?.min_examples ?? defaultLintConfig.minExamples,
    role: roleOf(project, file),
  };
}

/** RuleSets are cheap but not free: one per distinct config (injected services by identity). */
const ruleSets = new Map<string, RuleSet>();
export function ruleSetFor(config: LintConfig): RuleSet {
  const key = JSON.stringify(config, (k, v) =>
    k === 'overlap' ? (v as LintConfig['overlap'])?.id : k === 'tokens' && v ? (v as TokenCounter).id : v,
  );
  let rs = ruleSets.get(key);
  if (!rs) {
    if (ruleSets.size > 64) ruleSets.clear();
    rs = new RuleSet(config);
    ruleSets.set(key, rs);
  }
  return rs;
}

/** The rules for one file of a project: its settings plus the data cross-file rules compare with. */
export async function ruleSetForFile(project: Project, file: string, tokens?: TokenCounter): Promise<RuleSet> {
  const config: LintConfig = { ...lintConfigFor(project, file), ...(tokens ? { tokens } : {}) };
  const overlap = await overlapFor(project, file, config.role);
  return ruleSetFor(overlap ? { ...config, overlap } : config);
}

/** The project of each file: the given one (--config), or the nearest llmops.yaml above it, cached per folder. */
export function projectResolver(explicit: Project | null): (file: string) => Promise<Project> {
  const byDir = new Map<string, Promise<Project>>();
  return (file) => {
    if (explicit) return Promise.resolve(explicit);
    const dir = path.dirname(file);
    let p = byDir.get(dir);
    if (!p) byDir.set(dir, (p = findManifest(dir).then((m) => loadProject(m, dir))));
    return p;
  };
}
