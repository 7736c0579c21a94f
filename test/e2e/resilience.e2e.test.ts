/**
 * Failure paths in a real VS Code: a runtime that crashes at every start must not become a crash
 * loop, and an untrusted workspace must not be able to make the extension execute its own code.
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { Editor } from './codeServer';
import { isEditorInstalled, prepareWorkspace, startEditor, waitUntil } from './codeServer';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('LLMOps Workbench failure paths in code-server', function () {
  let editor: Editor | undefined;
  let tmp: string;

  beforeEach(function () {
    this.timeout(isEditorInstalled() ? 180_000 : 20 * 60_000);
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'llmops-e2e-resilience-'));
  });

  afterEach(async function () {
    this.timeout(30_000);
    if (this.currentTest?.state === 'failed' && editor) {
      await editor.screenshot(`failed-${this.currentTest.title}`).catch(() => undefined);
      editor.saveLogs(this.currentTest.title);
    }
    await editor?.close();
    editor = undefined;
    fs.rmSync(tmp, { recursive: true, force: true });
  });

  it('stops restarting a runtime that crashes at every start, and recovers on request', async function () {
    this.timeout(240_000);
    const starts = path.join(tmp, 'starts.log');
    const crasher = path.join(tmp, 'crash.js');
    fs.writeFileSync(crasher, `require('fs').appendFileSync(${JSON.stringify(starts)}, process.pid + '\\n');\nprocess.stderr.write('simulated crash\\n');\nprocess.exit(3);\n`);
    // Workspace settings: in code-server (a remote window) machine-scoped settings are not read from User settings.
    const workspace = prepareWorkspace(path.join(tmp, 'workspace'));
    const settingsFile = path.join(workspace, '.vscode', 'settings.json');
    fs.mkdirSync(path.dirname(settingsFile));
    fs.writeFileSync(settingsFile, JSON.stringify({ 'llmops.runtime.path': crasher }));
    editor = await startEditor({ workspace });
    const e = editor;
    await expectCrashed(e);
    // The crashes happen while the workbench starts, so the messages may sit in the notification center.
    await e.runCommand('Notifications: Show Notifications');
    const center = e.page.locator('.notifications-center');
    await waitUntil(async () => /crashed \d+ times in 3 minutes and will not be restarted/i.test(await center.innerText().catch(() => '')),
      async () => `no "will not be restarted" notification (center: ${JSON.stringify(await center.innerText().catch(() => ''))})`, 30_000);
    assert.match(await center.innerText(), /stopped unexpectedly and is restarting/i);
    const count = () => (fs.existsSync(starts) ? fs.readFileSync(starts, 'utf8').split('\n').filter(Boolean).length : 0);
    const n = count();
    assert.ok(n >= 2 && n <= 5, `the crashing runtime was started ${n} times (expected 2–5: first start plus at most 4 restarts)`);
    await sleep(5000);
    assert.equal(count(), n, 'the runtime was started again after the extension gave up: a crash loop');
    await e.screenshot('10-crash-loop-stopped');

    // Point back at the bundled runtime and restart from the palette.
    fs.writeFileSync(settingsFile, '{}');
    await sleep(2000);
    await e.runCommand('LLMOps: Restart Runtime');
    await e.waitForRuntimeReady(60_000);
    assert.equal(count(), n);
    await e.screenshot('11-recovered');
  });

  it('never runs a runtime path set by an untrusted workspace', async function () {
    this.timeout(240_000);
    const marker = path.join(tmp, 'pwned');
    const evil = path.join(tmp, 'evil.js');
    fs.writeFileSync(evil, `require('fs').writeFileSync(${JSON.stringify(marker)}, 'executed');\n`);
    const workspace = prepareWorkspace(path.join(tmp, 'workspace'));
    fs.mkdirSync(path.join(workspace, '.vscode'));
    fs.writeFileSync(path.join(workspace, '.vscode', 'settings.json'), JSON.stringify({ 'llmops.runtime.path': evil, 'llmops.runtime.nodePath': evil }));
    editor = await startEditor({ workspace, disableWorkspaceTrust: false });
    const e = editor;
    // A folder never trusted before opens in Restricted Mode.
    await e.page.locator('.part.statusbar .statusbar-item', { hasText: 'Restricted Mode' }).waitFor({ timeout: 60_000 });
    await e.waitForRuntimeReady(90_000);
    const pids = e.runtimePids();
    assert.ok(pids.length >= 1, 'no runtime process');
    const cmdlines = pids.map((p) => fs.readFileSync(`/proc/${p}/cmdline`, 'utf8').replace(/\0/g, ' '));
    assert.ok(cmdlines.every((c) => /extensions\/llmops\.llmops-workbench-[\d.]+\/dist\/runtime\.js --lsp/.test(c)), `unexpected runtime command lines: ${cmdlines.join('; ')}`);
    await sleep(2000);
    assert.equal(fs.existsSync(marker), false, 'a runtime path from the untrusted workspace settings was executed');
    await e.screenshot('13-restricted-mode');
  });
});

async function expectCrashed(e: Editor): Promise<void> {
  await waitUntil(async () => /crashed/i.test(await e.statusText()), async () => `the status bar never showed "crashed" (now: ${JSON.stringify(await e.statusText())})`, 90_000);
}
