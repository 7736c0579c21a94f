import { strict as assert } from 'node:assert';
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { DatasetsResult, LintWorkspaceResult } from '../../src/protocol/runtime';
import { ensureBuilt, tempDir } from './helpers';
import { TestClient } from './lspClient';

const rec = (i: number) => JSON.stringify({ messages: [{ role: 'user', content: `q${i}` }, { role: 'assistant', content: `a${i}` }] });
const sha = (f: string) => createHash('sha256').update(readFileSync(f)).digest('hex');

describe('runtime language server (built bundle over stdio)', function () {
  this.timeout(60_000);
  let t: ReturnType<typeof tempDir>;
  let client: TestClient;
  const uri = (rel: string) => pathToFileURL(join(t.dir, rel)).href;

  beforeEach(async () => {
    ensureBuilt();
    t = tempDir('lsp');
    mkdirSync(join(t.dir, 'data'));
    writeFileSync(join(t.dir, 'llmops.yaml'), 'version: 1\nproject: {name: lsp-test}\nlint:\n  rules:\n    too-few-examples: off\n');
    writeFileSync(join(t.dir, 'data', 'train.jsonl'), [rec(1), rec(2), rec(3)].join('\n') + '\n');
    writeFileSync(join(t.dir, 'data', 'broken.jsonl'), `${rec(1)}\n{"messages": [}\n`);
    writeFileSync(join(t.dir, 'data', 'pretty.jsonl'), JSON.stringify({ text: 'a' }, null, 2) + '\n' + JSON.stringify({ text: 'b' }, null, 2) + '\n');
    writeFileSync(join(t.dir, 'data', 'binary.jsonl'), Buffer.from([0x50, 0x41, 0x52, 0x31, 0, 0, 1, 2, 3]));
    writeFileSync(join(t.dir, 'data', 'latin1.jsonl'), Buffer.concat([Buffer.from('{"text":"caf'), Buffer.from([0xe9]), Buffer.from('"}\n')]));
    mkdirSync(join(t.dir, 'node_modules', 'pkg'), { recursive: true });
    writeFileSync(join(t.dir, 'node_modules', 'pkg', 'ignored.jsonl'), '{bad\n');
    client = new TestClient();
    await client.initialize(t.dir);
  });
  afterEach(async () => {
    await client.stop();
    t.cleanup();
  });

  it('publishes exact diagnostics while typing, and clears them when the line is fixed', async () => {
    const u = uri('data/train.jsonl');
    await client.open(u, readFileSync(join(t.dir, 'data', 'train.jsonl'), 'utf8'));
    assert.deepEqual((await client.waitForDiagnostics(u)).diagnostics, []);
    // Type a trailing comma into line 2 (0-based 1) before its final '}'.
    const line = rec(2);
    await client.change(u, 2, [{ range: { start: { line: 1, character: line.length - 1 }, end: { line: 1, character: line.length - 1 } }, text: ',' }]);
    const bad = await client.waitForDiagnostics(u, (p) => p.version === 2);
    assert.equal(bad.diagnostics.length, 1);
    const d = bad.diagnostics[0];
    assert.equal(d.code, 'invalid-json');
    assert.equal(d.source, 'llmops');
    assert.equal(d.severity, 1);
    assert.deepEqual(d.range.start, { line: 1, character: line.length - 1 });
    assert.match(String(d.message), /Trailing comma/);
    await client.change(u, 3, [{ range: { start: { line: 1, character: line.length - 1 }, end: { line: 1, character: line.length } }, text: '' }]);
    assert.deepEqual((await client.waitForDiagnostics(u, (p) => p.version === 3)).diagnostics, []);
  });

  it('lists the workspace datasets with real counts (and skips node_modules)', async () => {
    const r = (await client.conn.sendRequest('llmops/datasets', {})) as DatasetsResult;
    const byPath = Object.fromEntries(r.datasets.map((d) => [d.path, d]));
    assert.deepEqual(Object.keys(byPath), ['data/binary.jsonl', 'data/broken.jsonl', 'data/latin1.jsonl', 'data/pretty.jsonl', 'data/train.jsonl']);
    assert.equal(byPath['data/train.jsonl'].records, 3);
    assert.equal(byPath['data/train.jsonl'].format, 'openai-chat');
    assert.equal(byPath['data/train.jsonl'].errors, 0);
    assert.equal(byPath['data/train.jsonl'].bytes, readFileSync(join(t.dir, 'data', 'train.jsonl')).length);
    assert.equal(byPath['data/broken.jsonl'].errors, 1);
    assert.equal(byPath['data/pretty.jsonl'].errors, 1);
    assert.equal(byPath['data/pretty.jsonl'].records, 2);
    assert.equal(byPath['data/binary.jsonl'].errors, 1);
  });

  it('lint workspace publishes diagnostics for files that are not open', async () => {
    const hashes = ['broken', 'binary', 'latin1', 'pretty'].map((n) => sha(join(t.dir, 'data', `${n}.jsonl`)));
    const r = (await client.conn.sendRequest('llmops/lintWorkspace', {})) as LintWorkspaceResult;
    assert.equal(r.files, 5);
    assert.equal(r.errors, 4);
    const broken = await client.waitForDiagnostics(uri('data/broken.jsonl'));
    assert.deepEqual(broken.diagnostics.map((d) => [d.code, d.range.start.line, d.range.start.character]), [['invalid-json', 1, 14]]);
    assert.equal((await client.waitForDiagnostics(uri('data/binary.jsonl'))).diagnostics[0].code, 'binary-file');
    assert.match(String((await client.waitForDiagnostics(uri('data/binary.jsonl'))).diagnostics[0].message), /Parquet/);
    assert.equal((await client.waitForDiagnostics(uri('data/latin1.jsonl'))).diagnostics[0].code, 'invalid-utf8');
    assert.deepEqual(
      ['broken', 'binary', 'latin1', 'pretty'].map((n) => sha(join(t.dir, 'data', `${n}.jsonl`))),
      hashes,
      'linting never writes to a dataset',
    );
  });

  it('reports invalid UTF-8 of an open file from its bytes on disk', async () => {
    const u = uri('data/latin1.jsonl');
    await client.open(u, '{"text":"caf\ufffd"}\n');
    const p = await client.waitForDiagnostics(u, (x) => x.diagnostics.length > 0);
    assert.equal(p.diagnostics[0].code, 'invalid-utf8');
    assert.deepEqual(p.diagnostics[0].range.start, { line: 0, character: 12 });
  });

  it('offers the pretty-printed rewrite as a code action', async () => {
    const u = uri('data/pretty.jsonl');
    const text = readFileSync(join(t.dir, 'data', 'pretty.jsonl'), 'utf8');
    await client.open(u, text);
    const p = await client.waitForDiagnostics(u, (x) => x.diagnostics.length > 0);
    assert.equal(p.diagnostics.length, 1);
    assert.equal(p.diagnostics[0].code, 'multiline-json-not-jsonl');
    const actions = (await client.conn.sendRequest('textDocument/codeAction', {
      textDocument: { uri: u },
      range: p.diagnostics[0].range,
      context: { diagnostics: p.diagnostics },
    })) as { title: string; isPreferred: boolean; edit: { changes: Record<string, { newText: string }[]> } }[];
    assert.equal(actions.length, 1);
    assert.equal(actions[0].title, 'Rewrite as JSON Lines (one record per line)');
    assert.equal(actions[0].isPreferred, true);
    assert.equal(actions[0].edit.changes[u][0].newText, '{"text":"a"}\n{"text":"b"}\n');
  });

  it('survives a dataset deleted while open', async () => {
    const u = uri('data/broken.jsonl');
    await client.open(u, readFileSync(join(t.dir, 'data', 'broken.jsonl'), 'utf8'));
    await client.waitForDiagnostics(u, (p) => p.diagnostics.length === 1);
    unlinkSync(join(t.dir, 'data', 'broken.jsonl'));
    await client.conn.sendNotification('workspace/didChangeWatchedFiles', { changes: [{ uri: u, type: 3 }] });
    const r = (await client.conn.sendRequest('llmops/datasets', {})) as DatasetsResult;
    assert.ok(!r.datasets.some((d) => d.path === 'data/broken.jsonl'));
    // The editor buffer still exists: editing it keeps working.
    await client.change(u, 2, [{ text: rec(1) + '\n' }]);
    assert.deepEqual((await client.waitForDiagnostics(u, (p) => p.version === 2)).diagnostics, []);
    await client.conn.sendNotification('textDocument/didSave', { textDocument: { uri: u } });
    const info = (await client.conn.sendRequest('llmops/runtimeInfo', {})) as { pid: number };
    assert.equal(info.pid, client.proc.pid);
  });

  it('handles a 50 MB single line and stays responsive', async () => {
    const big = '{"text": "' + 'y'.repeat(50 * 1024 * 1024) + '"}\n{"text": 1,}\n';
    writeFileSync(join(t.dir, 'data', 'huge.jsonl'), big);
    const r = (await client.conn.sendRequest('llmops/datasets', {})) as DatasetsResult;
    const huge = r.datasets.find((d) => d.path === 'data/huge.jsonl')!;
    assert.equal(huge.records, 1);
    assert.equal(huge.errors, 1);
    const info = await client.conn.sendRequest('llmops/runtimeInfo', {});
    assert.ok(info);
  });

  it('caps diagnostics per file and says how many were left out', async () => {
    await client.stop();
    client = new TestClient();
    await client.initialize(t.dir, { maxProblemsPerFile: 5, exclude: [] });
    const u = uri('data/many.jsonl');
    await client.open(u, Array.from({ length: 20 }, () => '{x').join('\n'));
    const p = await client.waitForDiagnostics(u, (x) => x.diagnostics.length > 0);
    assert.equal(p.diagnostics.length, 6);
    assert.match(String(p.diagnostics[5].message), /15 more problems not shown/);
  });

  it('applies llmops.yaml severities, reports manifest problems at their position, and reloads on change', async () => {
    const u = uri('data/roles.jsonl');
    const text = '{"messages": [{"role": "user", "content": "Hi"}, {"role": "assistant", "content": "Hello"}], "id": 1}\n';
    await client.open(u, text);
    const first = await client.waitForDiagnostics(u, (p) => p.diagnostics.length > 0);
    assert.deepEqual(first.diagnostics.map((d) => [d.code, d.severity]), [['unknown-key', 2]]);
    // Turn the rule off in the manifest, with a typo elsewhere to be reported.
    writeFileSync(join(t.dir, 'llmops.yaml'), 'version: 1\nproject: {name: lsp-test}\nlint:\n  rules:\n    too-few-examples: off\n    unknown-key: off\n  min_exampels: 3\n');
    const manifestUri = uri('llmops.yaml');
    await client.conn.sendNotification('workspace/didChangeWatchedFiles', { changes: [{ uri: manifestUri, type: 2 }] });
    const problems = await client.waitForDiagnostics(manifestUri, (p) => p.diagnostics.length > 0);
    assert.equal(problems.diagnostics[0].range.start.line, 6);
    assert.match(String(problems.diagnostics[0].message), /min_exampels/);
    // The manifest has an error: defaults apply, so unknown-key stays; fix it and the rule goes off.
    writeFileSync(join(t.dir, 'llmops.yaml'), 'version: 1\nproject: {name: lsp-test}\nlint:\n  rules:\n    too-few-examples: off\n    unknown-key: off\n');
    await client.conn.sendNotification('workspace/didChangeWatchedFiles', { changes: [{ uri: manifestUri, type: 2 }] });
    await client.waitForDiagnostics(manifestUri, (p) => p.diagnostics.length === 0);
    await client.waitForDiagnostics(u, (p) => p.diagnostics.length === 0);
  });

  it('converts an Alpaca file to OpenAI chat in one edit (resolved on demand)', async () => {
    const u = uri('data/alpaca.jsonl');
    const text = '{"instruction": "Add a task", "input": "", "output": "Added."}\n{"instruction": "List", "input": "", "output": "None"}\n';
    await client.open(u, text);
    await client.waitForDiagnostics(u);
    const actions = (await client.conn.sendRequest('textDocument/codeAction', {
      textDocument: { uri: u },
      range: { start: { line: 0, character: 0 }, end: { line: 0, character: 0 } },
      context: { diagnostics: [] },
    })) as { title: string; kind: string; edit?: unknown; data: unknown }[];
    const convert = actions.find((a) => a.kind === 'refactor.rewrite.llmops.toOpenAIChat');
    assert.ok(convert, JSON.stringify(actions));
    assert.equal(convert.title, 'Convert 2 records to OpenAI chat format');
    assert.equal(convert.edit, undefined);
    const resolved = (await client.conn.sendRequest('codeAction/resolve', convert)) as { edit: { changes: Record<string, { newText: string }[]> } };
    const out = resolved.edit.changes[u][0].newText.split('\n');
    assert.deepEqual(JSON.parse(out[0]), { messages: [{ role: 'user', content: 'Add a task' }, { role: 'assistant', content: 'Added.' }] });
    assert.equal(out.length, 3);
  });

  it('hovers a record with its messages per role and tokens', async () => {
    const u = uri('data/train.jsonl');
    await client.open(u, readFileSync(join(t.dir, 'data', 'train.jsonl'), 'utf8'));
    await client.waitForDiagnostics(u);
    const h = (await client.conn.sendRequest('textDocument/hover', { textDocument: { uri: u }, position: { line: 1, character: 5 } })) as { contents: { value: string } };
    assert.match(h.contents.value, /\*\*Record 2\*\* · OpenAI chat · 2 messages/);
    assert.match(h.contents.value, /\| user \| 1 \| 2 \|/);
    assert.match(h.contents.value, /Tokens: /);
  });
});
