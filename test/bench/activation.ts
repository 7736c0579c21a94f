/**
 * Extension activation time on the extension host, measured in a real VS Code (code-server 1.139):
 * VS Code's own figure from "Developer: Show Running Extensions", plus the extension's own log line
 * (bundle evaluation + activate()). Target ≤ 30 ms. Needs `npm run package` first.
 * Run: npx tsx test/bench/activation.ts [runs=3]
 */
import { startEditor, waitUntil } from '../e2e/codeServer';
import { fmt, stats } from './data';

async function once(): Promise<{ vscode: number; own: number; load: number }> {
  const e = await startEditor();
  try {
    await e.waitForRuntimeReady(90_000);
    await e.runCommand('Developer: Show Running Extensions');
    // The list is sorted slowest first and virtualised: scroll until our row is rendered.
    const list = e.page.locator('.runtime-extensions-editor .monaco-list').first();
    const row = e.page.locator('.runtime-extensions-editor .monaco-list-row', { hasText: 'LLMOps Workbench' });
    await list.waitFor({ timeout: 30_000 });
    await list.hover();
    const text = await waitUntil(async () => {
      const t = (await row.count()) ? await row.first().innerText() : '';
      if (/\d+\s*ms/.test(t)) return t;
      await e.page.mouse.wheel(0, 300);
      return undefined;
    }, 'no activation time for LLMOps Workbench in Running Extensions', 30_000);
    const vscodeMs = Number(/(\d+)\s*ms/.exec(text)![1]);
    await e.runCommand('LLMOps: Show Runtime Logs');
    const out = e.page.locator('.part.panel .view-lines');
    const line = await waitUntil(async () => {
      const t = (await out.count()) ? await out.first().innerText() : '';
      const m = /activated in ([\d.]+) ms \(bundle evaluation before that: ([\d.]+) ms\)/.exec(t.replace(/\u00a0/g, ' '));
      return m ?? undefined;
    }, 'no "activated in" line in the LLMOps output channel', 20_000);
    return { vscode: vscodeMs, own: Number(line[1]), load: Number(line[2]) };
  } finally {
    await e.close();
  }
}

async function main(): Promise<void> {
  const runs = Number(process.argv[2] ?? 3);
  const rs: { vscode: number; own: number; load: number }[] = [];
  for (let i = 0; i < runs; i++) rs.push(await once());
  const v = stats(rs.map((r) => r.vscode));
  const own = stats(rs.map((r) => r.own + r.load));
  console.log(`activation (VS Code's Running Extensions figure, ${runs} fresh editors): median ${fmt(v.median, 0)} ms, max ${fmt(v.max, 0)} ms`);
  console.log(`from bundle start to the end of activate() (own log; includes VS Code's work between loading and calling activate): median ${fmt(own.median, 1)} ms, max ${fmt(own.max, 1)} ms — ${rs.map((r) => `${fmt(r.load, 1)}+${fmt(r.own, 1)}`).join(', ')}`);
}

void main().catch((e) => {
  console.error(e);
  process.exit(1);
});
