/**
 * Harness for UI tests in a real VS Code: code-server (installed by scripts/setupEditor.sh) driven by
 * playwright-core with Debian's Chromium. Recipe and timings: shared notes "real-editor-e2e.md".
 *
 * One `startEditor()` = a fresh temp folder (user data, extensions, XDG dirs, browser profile, workspace),
 * the packaged extension installed from out/llmops-workbench.vsix, code-server in its own process group
 * on a free 127.0.0.1 port, and a headless Chromium showing the workbench. `close()` undoes all of it.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { chromium, type BrowserContext, type FrameLocator, type Locator, type Page } from 'playwright-core';

// CommonJS under tsx today; falls back to the cwd (npm runs scripts at the repo root) if the package turns ESM.
const here = typeof __dirname === 'string' ? __dirname : path.join(process.cwd(), 'test', 'e2e');
export const repoRoot = path.resolve(here, '..', '..');
/** LLMOPS_E2E_VSIX / LLMOPS_E2E_EXAMPLE point the tests at another package or example (harness debugging). */
export const vsixPath = path.resolve(repoRoot, process.env.LLMOPS_E2E_VSIX ?? 'out/llmops-workbench.vsix');
export const exampleDir = path.resolve(repoRoot, process.env.LLMOPS_E2E_EXAMPLE ?? 'examples/task-assistant');
export const fixtureWorkspaceDir = path.join(here, 'fixtures', 'workspace');
export const screenshotDir = path.join(repoRoot, 'test-results', 'screenshots');
export const publishedScreenshotDir = path.join(repoRoot, 'media', 'screenshots');
export const extensionId = 'llmops.llmops-workbench';

const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/** Settings that keep typed text verbatim and the window free of first-run noise. */
const USER_SETTINGS: Record<string, unknown> = {
  'workbench.startupEditor': 'none',
  'workbench.colorTheme': 'Default Dark Modern',
  'workbench.secondarySideBar.defaultVisibility': 'hidden',
  'workbench.tips.enabled': false,
  'workbench.welcomePage.walkthroughs.openOnInstall': false,
  'workbench.enableExperiments': false,
  'telemetry.telemetryLevel': 'off',
  'update.mode': 'none',
  'extensions.autoCheckUpdates': false,
  'extensions.autoUpdate': false,
  'extensions.ignoreRecommendations': true,
  'chat.disableAIFeatures': true,
  'git.enabled': false,
  'files.autoSave': 'off',
  'editor.autoClosingBrackets': 'never',
  'editor.autoClosingQuotes': 'never',
  'editor.autoClosingDelete': 'never',
  'editor.autoClosingOvertype': 'never',
  'editor.autoSurround': 'never',
  'editor.autoIndent': 'none',
  'editor.formatOnType': false,
  'editor.quickSuggestions': { other: false, comments: false, strings: false },
  'editor.suggestOnTriggerCharacters': false,
  'editor.acceptSuggestionOnEnter': 'off',
  'editor.parameterHints.enabled': false,
  'editor.hover.enabled': false,
  'editor.minimap.enabled': false,
  'editor.wordWrap': 'off',
};

export interface EditorInstall {
  root: string;
  node24Dir: string;
  codeServer: string;
  chromium: string;
}

export interface StartOptions {
  /** Workspace folder to open; default: a fresh copy of examples/task-assistant plus test fixtures. */
  workspace?: string;
  /** Pass --disable-workspace-trust (default true). A workspace-trust test sets false. */
  disableWorkspaceTrust?: boolean;
  /** Extra user settings merged over the harness defaults. */
  settings?: Record<string, unknown>;
  /** Install out/llmops-workbench.vsix (default true). */
  installExtension?: boolean;
}

/** True when setupEditor.sh finished before (so `installEditor()` returns in about a second). */
export function isEditorInstalled(): boolean {
  const cache = process.env.LLMOPS_CACHE ?? path.join(os.homedir(), '.cache', 'llmops-workbench');
  return fs.existsSync(path.join(cache, 'editor-4.139.1', '.installed'));
}

/** Runs scripts/setupEditor.sh (a no-op when cached) and returns where the toolchain is. */
export function installEditor(): EditorInstall {
  let out: string;
  try {
    out = execFileSync('bash', [path.join(repoRoot, 'scripts', 'setupEditor.sh')], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'inherit'],
      timeout: 20 * 60_000,
    });
  } catch (err) {
    throw new Error(`scripts/setupEditor.sh failed (see its output above): ${(err as Error).message}`, { cause: err });
  }
  const env: Record<string, string> = {};
  for (const line of out.split('\n')) {
    const m = /^(LLMOPS_[A-Z0-9_]+)=(.*)$/.exec(line.trim());
    if (m) env[m[1]] = m[2];
  }
  const install = {
    root: env.LLMOPS_EDITOR_ROOT,
    node24Dir: env.LLMOPS_NODE24_DIR,
    codeServer: env.LLMOPS_CODE_SERVER,
    chromium: env.LLMOPS_CHROMIUM,
  };
  for (const [k, v] of Object.entries(install)) {
    if (!v || !fs.existsSync(v)) throw new Error(`setupEditor.sh reported no usable ${k} (${v}); output:\n${out}`);
  }
  return install;
}

/** Copies examples/task-assistant and the test fixtures into `dest` (created). */
export function prepareWorkspace(dest: string): string {
  if (!fs.existsSync(path.join(exampleDir, 'llmops.yaml'))) {
    throw new Error(`The e2e workspace needs ${path.relative(repoRoot, exampleDir)}/llmops.yaml, which is missing.`);
  }
  fs.mkdirSync(dest, { recursive: true });
  fs.cpSync(exampleDir, dest, { recursive: true, filter: (src) => !/[/\\](\.llmops|node_modules)([/\\]|$)/.test(src) });
  fs.cpSync(fixtureWorkspaceDir, dest, { recursive: true });
  return dest;
}

/** Workspace-relative paths of every `.jsonl` file in `dir` (sorted, forward slashes). */
export function listJsonl(dir: string): string[] {
  const found: string[] = [];
  const walk = (d: string): void => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      if (e.name.startsWith('.') || e.name === 'node_modules') continue;
      const p = path.join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.name.endsWith('.jsonl')) found.push(path.relative(dir, p).split(path.sep).join('/'));
    }
  };
  walk(dir);
  return found.sort();
}

/** Number of non-blank lines: what a dataset row's record count must show. */
export function countRecords(file: string): number {
  return fs.readFileSync(file, 'utf8').split(/\r?\n/).filter((l) => l.trim() !== '').length;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as net.AddressInfo;
      srv.close(() => resolve(port));
    });
  });
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Polls `fn` until it returns a truthy value; throws `message` (plus the last error) on timeout. */
type Falsy = undefined | null | false | '' | 0;
export async function waitUntil<T>(
  fn: () => Promise<T | Falsy> | T | Falsy,
  message: string | (() => string | Promise<string>),
  timeoutMs = 30_000,
  intervalMs = 250,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastErr: unknown;
  for (;;) {
    try {
      const v = await fn();
      if (v) return v as T;
    } catch (err) {
      lastErr = err;
    }
    if (Date.now() > deadline) {
      const detail = lastErr ? ` (last error: ${(lastErr as Error).message.split('\n')[0]})` : '';
      const text = typeof message === 'string' ? message : await Promise.resolve(message()).catch((e: Error) => `(${e.message})`);
      throw new Error(`Timed out after ${Math.round(timeoutMs / 1000)} s: ${text}${detail}`);
    }
    await sleep(intervalMs);
  }
}

/** Waits until `locator` is visible, failing with `message` instead of Playwright's generic text. */
export async function expectVisible(locator: Locator, message: string, timeoutMs = 30_000): Promise<Locator> {
  try {
    await locator.first().waitFor({ state: 'visible', timeout: timeoutMs });
  } catch {
    throw new Error(`Timed out after ${Math.round(timeoutMs / 1000)} s: ${message}`);
  }
  return locator;
}

export interface StatusEntry { t: number; text: string }

export class Editor {
  private closed = false;
  /** Ctrl+C or a crash of the test runner: stop code-server's whole group and drop the temp folder. */
  private readonly exitHook = (): void => {
    this.killGroup('SIGKILL');
    if (process.env.LLMOPS_E2E_KEEP !== '1') {
      try { fs.rmSync(this.tmpDir, { recursive: true, force: true, maxRetries: 2 }); } catch { /* best effort */ }
    }
  };

  constructor(
    readonly page: Page,
    readonly context: BrowserContext,
    readonly server: ChildProcess,
    readonly port: number,
    readonly tmpDir: string,
    readonly workspace: string,
    readonly userDataDir: string,
    readonly logFile: string,
  ) {
    process.on('exit', this.exitHook);
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}/?folder=${encodeURIComponent(this.workspace)}`;
  }

  /** Saves a screenshot to test-results/screenshots/<name>.png; with LLMOPS_UPDATE_SCREENSHOTS=1 and
   * `publishAs`, also to media/screenshots/<publishAs>.png (kept under 250 KB). */
  async screenshot(name: string, publishAs?: string, region?: { locator: Locator; maxHeight?: number }): Promise<string> {
    fs.mkdirSync(screenshotDir, { recursive: true });
    const file = path.join(screenshotDir, `${name.replace(/[^\w.-]+/g, '-')}.png`);
    // A region (e.g. the editor part) keeps text-heavy screenshots small enough to ship.
    const box = region ? await region.locator.boundingBox() : null;
    const clip = box ? { x: box.x, y: box.y, width: box.width, height: Math.min(box.height, region?.maxHeight ?? box.height) } : undefined;
    await this.page.screenshot({ path: file, animations: 'disabled', caret: 'hide', ...(clip ? { clip } : {}) });
    if (publishAs && process.env.LLMOPS_UPDATE_SCREENSHOTS === '1') {
      fs.mkdirSync(publishedScreenshotDir, { recursive: true });
      const dest = path.join(publishedScreenshotDir, `${publishAs}.png`);
      fs.copyFileSync(file, dest);
      const kb = fs.statSync(dest).size / 1024;
      if (kb > 250) throw new Error(`${path.relative(repoRoot, dest)} is ${Math.round(kb)} KB (> 250 KB)`);
    }
    return file;
  }

  /** Quick Open (Ctrl+P) `relPath`, then wait for its editor tab to be active. */
  async openFile(relPath: string): Promise<void> {
    const base = path.posix.basename(relPath);
    await this.page.keyboard.press('Escape');
    await this.page.keyboard.press('Control+P');
    const input = this.page.locator('.quick-input-widget .quick-input-box input');
    await expectVisible(input, 'Quick Open (Ctrl+P) did not open');
    await input.fill(relPath);
    const row = this.page.locator('.quick-input-widget .monaco-list-row', { hasText: base }).first();
    await expectVisible(row, `Quick Open found no entry for ${relPath}`, 15_000);
    // Click the entry: Enter may still pick a recently opened file the list showed before filtering.
    await row.click();
    await this.waitForActiveTab(base);
  }

  async waitForActiveTab(basename: string, timeoutMs = 15_000): Promise<void> {
    const tab = this.page.locator('.tabs-container .tab.active', { hasText: basename });
    await expectVisible(tab, `no active editor tab for ${basename}`, timeoutMs);
    await expectVisible(this.activeEditor(), `the editor for ${basename} did not appear`, timeoutMs);
  }

  /** The text editor of the active editor group (never the Chat input, which is a Monaco editor too). */
  activeEditor(): Locator {
    return this.page.locator('.editor-group-container.active .editor-container .monaco-editor').first();
  }

  /** F1, type `title`, pick the entry whose label is `title`. */
  async runCommand(title: string): Promise<void> {
    await this.page.keyboard.press('Escape');
    await this.page.keyboard.press('F1');
    const input = this.page.locator('.quick-input-widget .quick-input-box input');
    await expectVisible(input, 'the command palette (F1) did not open');
    await input.fill(`>${title}`);
    const row = this.page.locator('.quick-input-widget .monaco-list-row', { hasText: title }).first();
    await expectVisible(row, `the command palette has no command "${title}" (is the extension active?)`, 15_000);
    await row.click();
  }

  /** Moves the cursor to `line` (1-based) in the active editor and selects the whole line's text. */
  async selectLine(line: number): Promise<void> {
    await this.activeEditor().click({ position: { x: 200, y: 60 } }); // below the CodeLens row at the top
    await this.page.keyboard.press('Control+G');
    const input = this.page.locator('.quick-input-widget .quick-input-box input');
    await expectVisible(input, 'Go to Line (Ctrl+G) did not open');
    await input.fill(`:${line}`);
    await this.page.keyboard.press('Enter');
    await this.page.locator('.quick-input-widget').waitFor({ state: 'hidden', timeout: 5_000 }).catch(() => undefined);
    await this.page.keyboard.press('Home');
    await this.page.keyboard.press('Home'); // twice: the first may stop at the first non-blank character
    await this.page.keyboard.press('Shift+End');
  }

  /** Replaces the text of `line` by typing `text` (real key events, as a user would). */
  async replaceLine(line: number, text: string): Promise<void> {
    await this.selectLine(line);
    await this.page.keyboard.press('Delete');
    await this.page.keyboard.type(text, { delay: 0 });
  }

  /** Saves the active editor (Ctrl+S) and waits until its tab is no longer dirty. */
  async save(): Promise<void> {
    await this.page.keyboard.press('Control+S');
    await waitUntil(async () => (await this.page.locator('.tabs-container .tab.active.dirty').count()) === 0,
      'the active editor is still dirty after Ctrl+S', 10_000);
  }

  /** The activity bar entry of the LLMOps view container. */
  activityBarItem(): Locator {
    return this.page.locator('.part.activitybar .action-item a[aria-label*="LLMOps"], .part.activitybar .action-item [aria-label*="LLMOps"]').first();
  }

  /** Opens the LLMOps sidebar and returns the Project webview's content frame. */
  async sidebar(): Promise<FrameLocator> {
    const item = this.activityBarItem();
    await expectVisible(item, 'no "LLMOps" item in the activity bar (view container `llmops`)');
    const container = this.page.locator('.part.sidebar');
    const alreadyOpen = await container.isVisible() && /LLMOps/i.test((await container.locator('.composite.title').first().textContent().catch(() => '')) ?? '');
    if (!alreadyOpen) await item.click();
    return this.webviewFrame();
  }

  /** The content frame of the visible webview of this extension (the recipe's selector, scoped). */
  webviewFrame(): FrameLocator {
    return this.page
      .locator(`iframe.webview.ready[src*="extensionId=${extensionId}"]`)
      .filter({ visible: true })
      .first()
      .contentFrame()
      .frameLocator('#active-frame');
  }

  /** Opens the Problems panel, optionally filters it, and returns its text (rows' aria-labels). */
  async problems(filter?: string): Promise<string> {
    const panel = this.page.locator('.markers-panel');
    if (!(await panel.isVisible())) {
      await this.page.keyboard.press('Escape');
      await this.page.keyboard.press('Control+Shift+M');
      await expectVisible(panel, 'the Problems panel did not open (Ctrl+Shift+M)', 10_000);
    }
    const filterBox = this.page.locator('.viewpane-filter input, .markers-panel-action-filter input').first();
    if (filter !== undefined && (await filterBox.isVisible())) {
      if ((await filterBox.inputValue()) !== filter) await filterBox.fill(filter);
    }
    // Each row: its aria-label (message, line, source) and its visible text (which holds the rule code).
    const rows = await panel.locator('.monaco-list-row').evaluateAll((els) =>
      els.map((r) => `${r.getAttribute('aria-label') ?? ''} :: ${(r as HTMLElement).innerText.replace(/\s+/g, ' ')}`).join('\n'));
    return rows || (await panel.innerText());
  }

  /** Waits until the (filtered) Problems panel satisfies `ok` and has stopped changing (diagnostics of
   * half-typed text arrive before the final ones), and returns its text. */
  async waitForProblems(filter: string, ok: (text: string) => boolean, message: string, timeoutMs = 20_000): Promise<string> {
    let previous = '';
    return waitUntil(async () => {
      const text = await this.problems(filter);
      const stable = text === previous;
      previous = text;
      return ok(text) && stable ? text : undefined;
    }, () => `${message} (shows: ${JSON.stringify(previous)})`, timeoutMs, 700);
  }

  /** Visible notification toasts' text, one per line. */
  async notifications(): Promise<string> {
    const toasts = this.page.locator('.notifications-toasts .notification-toast');
    const n = await toasts.count();
    const out: string[] = [];
    for (let i = 0; i < n; i++) out.push(((await toasts.nth(i).getAttribute('aria-label')) ?? '') + ' ' + (await toasts.nth(i).innerText().catch(() => '')));
    return out.join('\n');
  }

  async waitForNotification(pattern: RegExp, timeoutMs = 30_000): Promise<string> {
    return waitUntil(async () => (await this.notifications()).split('\n').find((l) => pattern.test(l)),
      async () => `no notification matching ${pattern} (visible: ${JSON.stringify(await this.notifications().catch(() => ''))})`, timeoutMs);
  }

  /** The LLMOps status bar item. */
  statusItem(): Locator {
    return this.page.locator('.part.statusbar .statusbar-item', { hasText: /^\s*LLMOps/ }).first();
  }

  /** Text, aria-label and icon of the status bar item, e.g. "LLMOps | LLMOps ready | codicon-check". */
  async statusText(): Promise<string> {
    const item = this.statusItem();
    if (!(await item.count())) return '';
    return item.evaluate((el) => {
      const a = el.querySelector('a') ?? el;
      const icons = Array.from(el.querySelectorAll('[class*="codicon-"]')).map((i) => Array.from(i.classList).find((c) => c.startsWith('codicon-')));
      return [(el as HTMLElement).innerText.trim(), a.getAttribute('aria-label') ?? '', (el as HTMLElement).title || a.getAttribute('title') || '', icons.join(' ')].join(' | ');
    });
  }

  async waitForRuntimeReady(timeoutMs = 60_000): Promise<string> {
    return waitUntil(async () => {
      const s = await this.statusText();
      return /codicon-check\b|ready/i.test(s) && !/restarting|starting|error/i.test(s.split(' | ')[0]) ? s : '';
    }, async () => `the "LLMOps" status bar item did not show ready (now: ${JSON.stringify(await this.statusText().catch(() => ''))})`, timeoutMs);
  }

  /** Starts recording every change of the LLMOps status bar item (brief states are easy to miss by polling). */
  async recordStatus(): Promise<void> {
    // A string, not a function: tsx (esbuild keepNames) would wrap named inner functions in a `__name`
    // helper that does not exist in the page.
    await this.page.evaluate(`(() => {
      window.__llmopsStatus = [];
      if (window.__llmopsObs) window.__llmopsObs.disconnect();
      const bar = document.querySelector('.part.statusbar');
      if (!bar) return;
      let last = '';
      const snap = () => {
        const item = Array.from(bar.querySelectorAll('.statusbar-item')).find((e) => /^\\s*LLMOps/.test(e.innerText));
        if (!item) return;
        const a = item.querySelector('a') || item;
        const icons = Array.from(item.querySelectorAll('[class*="codicon-"]'))
          .map((i) => Array.from(i.classList).find((c) => c.startsWith('codicon-')));
        const text = [item.innerText.trim(), a.getAttribute('aria-label') || '', icons.join(' ')].join(' | ');
        if (text !== last) { last = text; window.__llmopsStatus.push({ t: Date.now(), text }); }
      };
      window.__llmopsObs = new MutationObserver(snap);
      window.__llmopsObs.observe(bar, { subtree: true, childList: true, characterData: true, attributes: true });
      snap();
    })()`);
  }

  async statusHistory(): Promise<StatusEntry[]> {
    return this.page.evaluate(() => (window as unknown as { __llmopsStatus?: StatusEntry[] }).__llmopsStatus ?? []);
  }

  /** PIDs of `runtime.js --lsp` processes started by this code-server (its process group). */
  runtimePids(): number[] {
    try {
      const out = execFileSync('pgrep', ['-g', String(this.server.pid), '-f', 'runtime.js --lsp'], { encoding: 'utf8' });
      return out.split('\n').filter(Boolean).map(Number);
    } catch {
      return [];
    }
  }

  /** Last lines of code-server's own output. */
  serverLog(lines = 40): string {
    try {
      return fs.readFileSync(this.logFile, 'utf8').split('\n').slice(-lines).join('\n');
    } catch {
      return '';
    }
  }

  /** Copies code-server's and VS Code's logs to test-results/e2e-logs/<name>/ (for a failed run). */
  saveLogs(name: string): string {
    const dest = path.join(repoRoot, 'test-results', 'e2e-logs', name.replace(/[^\w.-]+/g, '-'));
    fs.rmSync(dest, { recursive: true, force: true });
    fs.mkdirSync(dest, { recursive: true });
    try { fs.copyFileSync(this.logFile, path.join(dest, 'code-server.log')); } catch { /* none yet */ }
    try { fs.cpSync(path.join(this.userDataDir, 'logs'), path.join(dest, 'vscode'), { recursive: true }); } catch { /* none yet */ }
    return dest;
  }

  private killGroup(signal: NodeJS.Signals): void {
    if (this.server.pid === undefined) return;
    try { process.kill(-this.server.pid, signal); } catch { /* already gone */ }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.context.close().catch(() => undefined);
    await stopServer(this.server);
    process.off('exit', this.exitHook);
    if (process.env.LLMOPS_E2E_KEEP !== '1') fs.rmSync(this.tmpDir, { recursive: true, force: true, maxRetries: 3 });
  }
}

async function stopServer(server: ChildProcess): Promise<void> {
  const pid = server.pid;
  if (pid === undefined) return;
  const alive = (): boolean => { try { process.kill(-pid, 0); return true; } catch { return false; } };
  try { process.kill(-pid, 'SIGTERM'); } catch { return; }
  for (let i = 0; i < 30 && alive(); i++) await sleep(100);
  if (alive()) { try { process.kill(-pid, 'SIGKILL'); } catch { /* gone */ } }
  for (let i = 0; i < 20 && alive(); i++) await sleep(100);
}

/** Starts code-server + Chromium on a fresh workspace and waits for the workbench. */
export async function startEditor(options: StartOptions = {}): Promise<Editor> {
  const installExtension = options.installExtension ?? true;
  if (installExtension && !fs.existsSync(vsixPath)) {
    throw new Error(`${path.relative(repoRoot, vsixPath)} is missing: run \`npm run build && npm run package\` before \`npm run test:e2e\`.`);
  }
  const install = installEditor();
  const tmpDir = fs.mkdtempSync(path.join(os.tmpdir(), 'llmops-e2e-'));
  const dirs = {
    userData: path.join(tmpDir, 'user-data'),
    extensions: path.join(tmpDir, 'extensions'),
    config: path.join(tmpDir, 'xdg-config'),
    data: path.join(tmpDir, 'xdg-data'),
    profile: path.join(tmpDir, 'chromium-profile'),
  };
  for (const d of Object.values(dirs)) fs.mkdirSync(d, { recursive: true });
  let server: ChildProcess | undefined;
  let context: BrowserContext | undefined;
  const logFile = path.join(tmpDir, 'code-server.log');
  try {
    const workspace = options.workspace ?? prepareWorkspace(path.join(tmpDir, 'workspace'));
    fs.mkdirSync(path.join(dirs.userData, 'User'), { recursive: true });
    fs.writeFileSync(path.join(dirs.userData, 'User', 'settings.json'),
      JSON.stringify({ ...USER_SETTINGS, ...options.settings }, null, 2));

    const env: NodeJS.ProcessEnv = {
      ...process.env,
      PATH: `${path.join(install.node24Dir, 'bin')}${path.delimiter}${process.env.PATH ?? ''}`,
      XDG_CONFIG_HOME: dirs.config,
      XDG_DATA_HOME: dirs.data,
      // Don't let the test runner's own settings leak into the editor.
      NODE_OPTIONS: '',
    };
    delete env.ELECTRON_RUN_AS_NODE;
    const common = ['--user-data-dir', dirs.userData, '--extensions-dir', dirs.extensions];
    if (installExtension) {
      try {
        execFileSync(install.codeServer, [...common, '--install-extension', vsixPath], { env, encoding: 'utf8', stdio: 'pipe', timeout: 120_000 });
      } catch (err) {
        const e = err as { stdout?: string; stderr?: string; message: string };
        throw new Error(`installing ${vsixPath} into code-server failed: ${e.message}\n${e.stdout ?? ''}${e.stderr ?? ''}`, { cause: err });
      }
    }

    const port = await freePort();
    const args = [
      '--bind-addr', `127.0.0.1:${port}`, '--auth', 'none', '--disable-telemetry', '--disable-update-check',
      '--disable-getting-started-override', ...common,
    ];
    if (options.disableWorkspaceTrust ?? true) args.push('--disable-workspace-trust');
    args.push(workspace);
    const log = fs.openSync(logFile, 'a');
    // detached = setsid(): code-server, its extension host and our runtime share one new process group.
    server = spawn(install.codeServer, args, { env, detached: true, stdio: ['ignore', log, log] });
    fs.closeSync(log);
    const srv = server;
    let exited: string | undefined;
    srv.on('exit', (code, sig) => { exited = `code-server exited (code ${code}, signal ${sig})`; });
    await waitUntil(async () => {
      if (exited) throw new Error(exited);
      const res = await fetch(`http://127.0.0.1:${port}/healthz`, { signal: AbortSignal.timeout(2000) });
      return res.ok;
    }, `code-server did not answer /healthz on port ${port}`, 60_000, 200).catch((err: Error) => {
      throw new Error(`${err.message}\n--- code-server log ---\n${fs.readFileSync(logFile, 'utf8').slice(-4000)}`);
    });

    context = await chromium.launchPersistentContext(dirs.profile, {
      executablePath: install.chromium,
      headless: true,
      args: CHROMIUM_ARGS,
      viewport: { width: 1400, height: 900 },
      env: { ...process.env, XDG_CONFIG_HOME: dirs.config, XDG_DATA_HOME: dirs.data } as Record<string, string>,
      timeout: 60_000,
    });
    const page = context.pages()[0] ?? (await context.newPage());
    page.setDefaultTimeout(30_000);
    const editor = new Editor(page, context, srv, port, tmpDir, workspace, dirs.userData, logFile);
    await page.goto(editor.url, { waitUntil: 'domcontentloaded', timeout: 60_000 });
    await expectVisible(page.locator('.monaco-workbench .part.activitybar'), 'the VS Code workbench did not load', 60_000);
    return editor;
  } catch (err) {
    await context?.close().catch(() => undefined);
    if (server) await stopServer(server);
    if (process.env.LLMOPS_E2E_KEEP !== '1') fs.rmSync(tmpDir, { recursive: true, force: true });
    throw err;
  }
}
