/**
 * The extension in a real VS Code (code-server + Chromium): sidebar datasets, diagnostics as you type,
 * the workspace lint command, and the runtime's crash recovery. One editor is shared by the tests of this
 * file (they run in order); every step saves a screenshot under test-results/screenshots/.
 * Run: npm run build && npm run package && npm run test:e2e   (LLMOPS_UPDATE_SCREENSHOTS=1 refreshes media/screenshots/)
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Editor } from './codeServer';
import { countRecords, expectVisible, isEditorInstalled, listJsonl, startEditor, waitUntil } from './codeServer';

/** Fixture facts (test/e2e/fixtures/workspace/data/). */
const BROKEN = 'data/broken.jsonl';
const BROKEN_LINE = 3;
const SCRATCH = 'data/scratch.jsonl';
const SCRATCH_VALID_LINE_2 =
  `{"messages": [{"role": "system", "content": "You are a concise task assistant."}, {"role": "user", "content": "Mark 'water the plants' as done."}, {"role": "assistant", "content": "Marked 'water the plants' as done."}]}`;
const SCRATCH_HUMAN_ROLE_LINE_2 =
  `{"messages": [{"role": "system", "content": "You are a concise task assistant."}, {"role": "human", "content": "Mark 'water the plants' as done."}, {"role": "assistant", "content": "Marked 'water the plants' as done."}]}`;
const SCRATCH_BAD_LINE_2 = `{"messages": [{"role": "user", "content": "Mark 'water the plants' as done."}`;

describe('LLMOps Workbench in code-server', function () {
  let editor: Editor | undefined;
  let failures = 0;

  const ed = (): Editor => {
    if (!editor) throw new Error('the editor did not start (see the first failure)');
    return editor;
  };

  before(async function () {
    // A cold toolchain install (scripts/setupEditor.sh) takes minutes; a warm start ~15 s.
    this.timeout(isEditorInstalled() ? 180_000 : 20 * 60_000);
    editor = await startEditor();
    try {
      await ed().screenshot('00-workbench');
      // The extension activates on workspaceContains:**/*.jsonl; its status bar item says when the runtime is up.
      await expectVisible(ed().statusItem(), 'no "LLMOps" status bar item: the extension did not activate', 60_000);
      await ed().waitForRuntimeReady(60_000);
    } catch (err) {
      await ed().screenshot('failed-startup').catch(() => undefined);
      const logs = ed().saveLogs('startup');
      throw new Error(`${(err as Error).message}\n(logs in ${path.relative(process.cwd(), logs)})`, { cause: err });
    }
  });

  afterEach(async function () {
    if (this.currentTest?.state === 'failed' && editor) {
      failures++;
      const name = `failed-${this.currentTest.title}`;
      const shot = await editor.screenshot(name).catch(() => undefined);
      const logs = editor.saveLogs(this.currentTest.title);
      console.log(`    screenshot: ${shot ? path.relative(process.cwd(), shot) : '(none)'}; logs: ${path.relative(process.cwd(), logs)}`);
    }
  });

  after(async function () {
    this.timeout(30_000);
    if (editor && failures > 0) console.log(`    last code-server output:\n${editor.serverLog(15).replace(/^/gm, '      ')}`);
    await editor?.close();
  });

  it('shows the LLMOps activity bar item and lists the datasets with their record counts', async function () {
    const e = ed();
    const view = await e.sidebar();
    const expected = listJsonl(e.workspace);
    assert.ok(expected.includes('data/train.jsonl'), `the example workspace has no data/train.jsonl (found ${expected.join(', ')})`);
    const rows = view.locator('[data-testid="dataset-row"]');
    await expectVisible(rows, 'the Project view shows no [data-testid="dataset-row"] rows', 30_000);
    const shown = await waitUntil(async () => {
      const paths = await rows.evaluateAll((els) => els.map((el) => el.getAttribute('data-path') ?? ''));
      return expected.every((p) => paths.includes(p)) ? paths : undefined;
    }, async () => `the Project view does not list all of ${expected.join(', ')} (shows: ${JSON.stringify(
      await rows.evaluateAll((els) => els.map((el) => el.getAttribute('data-path'))).catch(() => []))})`, 20_000);
    assert.ok(shown.length >= expected.length);

    const train = view.locator('[data-testid="dataset-row"][data-path="data/train.jsonl"]');
    const records = countRecords(path.join(e.workspace, 'data', 'train.jsonl'));
    const recordsCell = train.locator('[data-testid="dataset-records"]');
    const recordsText = (await recordsCell.count()) ? await recordsCell.innerText() : await train.innerText();
    const recordsPattern = (await recordsCell.count()) ? new RegExp(`^\\s*${records}\\b`) : new RegExp(`(^|\\D)${records}\\s*records?\\b`, 'i');
    assert.match(recordsText.replace(/[,\u202f\u00a0]/g, ''), recordsPattern,
      `the train.jsonl row should show ${records} records; it reads: ${JSON.stringify(recordsText)}`);
    for (const testid of ['dataset-problems', 'dataset-open']) {
      assert.equal(await train.locator(`[data-testid="${testid}"]`).count(), 1, `the train.jsonl row has no [data-testid="${testid}"]`);
    }
    assert.match((await train.locator('[data-testid="dataset-problems"]').innerText()).trim(), /^\d+$/);
    await expectVisible(view.locator('[data-testid="summary"]'), 'the Project view has no [data-testid="summary"] line');
    await e.screenshot('01-sidebar-datasets', 'sidebar');
  });

  it('opens a dataset when its row is clicked', async function () {
    const e = ed();
    const view = await e.sidebar();
    const row = view.locator('[data-testid="dataset-row"][data-path="data/eval.jsonl"]');
    await expectVisible(row, 'no row for data/eval.jsonl');
    await row.locator('[data-testid="dataset-open"]').click();
    await e.waitForActiveTab('eval.jsonl');
    await e.screenshot('02-dataset-opened');
  });

  it('reports a broken line while typing and clears it after the fix', async function () {
    const e = ed();
    await e.openFile(SCRATCH);
    await e.replaceLine(2, SCRATCH_BAD_LINE_2);
    const squiggle = e.activeEditor().locator('.squiggly-error');
    await expectVisible(squiggle, 'no error squiggle after typing invalid JSON on line 2 of scratch.jsonl', 20_000);
    const problems = await e.waitForProblems('scratch.jsonl', (text) => /invalid-json/.test(text) && /Invalid JSON/i.test(text),
      'the Problems panel shows no "Invalid JSON" (invalid-json) problem for scratch.jsonl', 20_000);
    assert.match(problems, /(Ln|line) 2\b/i, `the scratch.jsonl problem should be on line 2: ${problems}`);
    assert.match(problems, /scratch\.jsonl/);
    await e.screenshot('03-diagnostics-problems', 'diagnostics');

    await e.replaceLine(2, SCRATCH_VALID_LINE_2);
    await waitUntil(async () => (await squiggle.count()) === 0, 'the error squiggle stayed after fixing line 2', 20_000);
    await waitUntil(async () => !/invalid-json/.test(await e.problems('scratch.jsonl')),
      async () => `the invalid-json problem stayed in the Problems panel after the fix (shows: ${JSON.stringify(await e.problems().catch(() => ''))})`, 20_000);
    await e.screenshot('04-diagnostics-fixed');
    await e.save(); // the file now holds its original text again
  });

  it('applies a quick fix from the lightbulb menu and the diagnostic clears', async function () {
    const e = ed();
    await e.openFile(SCRATCH);
    await e.replaceLine(2, SCRATCH_HUMAN_ROLE_LINE_2);
    const squiggle = e.activeEditor().locator('.squiggly-error');
    await expectVisible(squiggle, 'no error squiggle for the unknown role "human"', 20_000);
    await e.waitForProblems('scratch.jsonl', (text) => /unknown-role/.test(text), 'the Problems panel shows no unknown-role problem for scratch.jsonl', 20_000);
    // F8 moves the cursor to the problem; Ctrl+. opens its quick fixes.
    await e.activeEditor().click({ position: { x: 200, y: 60 } }); // below the CodeLens row at the top
    await e.page.keyboard.press('Control+Home');
    await e.page.keyboard.press('F8');
    await e.page.keyboard.press('Escape');
    await e.page.keyboard.press('Control+.');
    const item = e.page.locator('.action-widget .monaco-list-row', { hasText: 'Rename the role to "user"' });
    await expectVisible(item, 'the quick fix menu has no entry "Rename the role to user"', 15_000);
    await e.screenshot('04b-quick-fix-menu', 'quick-fix');
    await item.click();
    await waitUntil(async () => (await squiggle.count()) === 0, 'the error squiggle stayed after applying the quick fix', 20_000);
    const text = await e.activeEditor().locator('.view-lines').innerText();
    assert.match(text.replace(/\u00a0/g, ' '), /"role": "user", "content": "Mark 'water the plants' as done\."/);
    await e.replaceLine(2, SCRATCH_VALID_LINE_2);
    await e.save();
  });

  it('shows tokens and the fine-tuning cost in a CodeLens that updates after an edit, and opens the breakdown', async function () {
    const e = ed();
    const TRAIN = 'data/train.jsonl';
    const lines = fs.readFileSync(path.join(e.workspace, TRAIN), 'utf8').split('\n').filter((l) => l.trim());
    await e.openFile(TRAIN);
    const lens = e.activeEditor().locator('.codelens-decoration', { hasText: 'records' });
    const text = async (): Promise<string> => ((await lens.count()) ? (await lens.first().innerText()).replace(/\u00a0/g, ' ') : '');
    const first = await waitUntil(async () => ((await text()).includes(`${lines.length} records`) ? text() : undefined),
      async () => `no CodeLens "${lines.length} records · … tokens" on ${TRAIN} (shows: ${JSON.stringify(await text())})`, 60_000);
    assert.match(first, /tokens · ≈ \$[\d.,]+ to fine-tune HuggingFaceTB\/SmolLM2-135M-Instruct \(3 epochs\) · ≈ .+ on /, first);
    await e.screenshot('04c-cost-codelens', 'cost-codelens', { locator: e.page.locator('.part.editor'), maxHeight: 260 });

    // Blank out the last record: the lens counts one record fewer.
    await e.replaceLine(lines.length, '');
    await e.page.keyboard.press('Control+Home'); // the lens is on the first line: scroll back to it
    await waitUntil(async () => (await text()).includes(`${lines.length - 1} records`),
      async () => `the CodeLens did not update to ${lines.length - 1} records after the edit (shows: ${JSON.stringify(await text())})`, 30_000);
    await e.page.keyboard.press('Control+Z'); // the record comes back (retyping 7 KB would take a minute)
    await e.page.keyboard.press('Control+Home');
    await waitUntil(async () => (await text()).includes(`${lines.length} records`), 'the CodeLens did not come back after restoring the record', 30_000);

    // Clicking the lens opens the breakdown with the per-GPU comparison.
    await lens.first().locator('a').first().click();
    const tab = e.page.locator('.tabs-container .tab', { hasText: 'Cost: data/train.jsonl' });
    await expectVisible(tab, 'clicking the CodeLens opened no "Cost: data/train.jsonl" tab', 20_000);
    // The sidebar may be a webview of ours too: look in every one for the breakdown.
    const frames = e.page.locator('iframe.webview.ready');
    await waitUntil(async () => {
      for (let i = 0; i < (await frames.count()); i++) {
        const f = frames.nth(i).contentFrame().frameLocator('#active-frame');
        if (await f.locator('h2', { hasText: 'On your own GPU' }).count().catch(() => 0)) return true;
      }
      return false;
    }, 'the breakdown shows no GPU comparison', 20_000);
    await e.screenshot('04d-cost-breakdown', 'cost-breakdown', { locator: e.page.locator('.part.editor'), maxHeight: 560 });
    await e.save();
  });

  it('lints every dataset in the workspace from the command palette', async function () {
    const e = ed();
    // Close the editors so the findings below can only come from the workspace lint.
    await e.runCommand('View: Close All Editors');
    await waitUntil(async () => (await e.page.locator('.tabs-container .tab').count()) === 0, 'the editors did not close', 10_000);
    await e.runCommand('LLMOps: Lint Workspace Datasets');
    const note = await e.waitForNotification(/LLMOps: linted \d+ datasets?/i, 60_000);
    const n = Number(/linted (\d+)/i.exec(note)![1]);
    const datasets = listJsonl(e.workspace);
    assert.ok(n >= datasets.length, `"${note.trim()}": expected at least ${datasets.length} datasets (${datasets.join(', ')})`);
    assert.match(note, /error/i, `the lint notification should count errors: "${note.trim()}"`);
    assert.match(note, /warning/i, `the lint notification should count warnings: "${note.trim()}"`);

    const problems = await e.waitForProblems('broken.jsonl', (text) => /broken\.jsonl/.test(text) && /invalid-json/.test(text),
      `after the lint the Problems panel shows no invalid-json problem for the unopened ${BROKEN}`, 30_000);
    assert.match(problems, new RegExp(`(Ln|line) ${BROKEN_LINE}\\b`, 'i'), `the broken.jsonl problem should be on line ${BROKEN_LINE}: ${problems}`);
    await e.screenshot('05-lint-workspace', 'lint-workspace');
    await e.problems(''); // clear the filter

    const view = await e.sidebar();
    const brokenProblems = view.locator(`[data-testid="dataset-row"][data-path="${BROKEN}"] [data-testid="dataset-problems"]`);
    await waitUntil(async () => Number((await brokenProblems.innerText()).trim()) >= 1,
      `the sidebar row of ${BROKEN} should count at least 1 problem after the lint`, 20_000);
    await e.screenshot('06-sidebar-after-lint');
  });

  it('restarts the runtime after it is killed, and diagnostics keep working', async function () {
    const e = ed();
    await e.waitForRuntimeReady();
    const before = await waitUntil(() => e.runtimePids().length ? e.runtimePids() : undefined,
      'no `runtime.js --lsp` process in the code-server process group', 10_000);
    await e.recordStatus();
    for (const pid of before) process.kill(pid, 'SIGKILL');

    await e.waitForNotification(/restart/i, 30_000);
    const after = await waitUntil(() => {
      const pids = e.runtimePids();
      return pids.length && pids.every((p) => !before.includes(p)) ? pids : undefined;
    }, 'no new `runtime.js --lsp` process after the kill', 30_000);
    assert.ok(after.length >= 1);
    await e.waitForRuntimeReady(30_000);
    const history = await e.statusHistory();
    assert.ok(history.some((h) => /restarting/i.test(h.text)),
      `the status bar never showed "restarting": ${JSON.stringify(history.map((h) => h.text))}`);
    await e.screenshot('07-runtime-restarted');
    // The findings of closed files came from the workspace lint; the new runtime restores them.
    await e.waitForProblems('broken.jsonl', (text) => /broken\.jsonl/.test(text) && /invalid-json/.test(text),
      `after the restart the Problems panel lost the workspace-lint problem of the unopened ${BROKEN}`, 30_000);
    await e.problems('');

    await e.openFile(SCRATCH);
    await e.replaceLine(2, SCRATCH_BAD_LINE_2);
    await expectVisible(e.activeEditor().locator('.squiggly-error'), 'no error squiggle after the runtime restart', 20_000);
    await e.screenshot('08-diagnostics-after-restart');
    await e.replaceLine(2, SCRATCH_VALID_LINE_2);
    await waitUntil(async () => (await e.activeEditor().locator('.squiggly-error').count()) === 0,
      'the error squiggle stayed after fixing line 2 (after the restart)', 20_000);
    await e.save();
  });

  it('shows the runtime logs in the "LLMOps" output channel', async function () {
    const e = ed();
    await e.runCommand('LLMOps: Show Runtime Logs');
    const output = e.page.locator('.part.panel .output-view, .part.panel [id="workbench.panel.output"]').first();
    await expectVisible(output, 'the Output view did not open', 15_000);
    await waitUntil(async () => {
      const picked = await e.page.locator('.part.panel .monaco-select-box, .part.panel select').evaluateAll((els) =>
        els.map((el) => (el as HTMLSelectElement).title || (el as HTMLSelectElement).value || (el as HTMLElement).innerText).join(' '));
      return /LLMOps/.test(picked);
    }, 'the Output view does not show the "LLMOps" channel', 15_000);
    await e.screenshot('09-runtime-logs');
  });
});
