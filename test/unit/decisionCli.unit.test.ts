import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { runCli } from '../../src/runtime/cli';

const repo = path.resolve(__dirname, '..', '..');
const chat = (u: string, a: string): string => JSON.stringify({ messages: [{ role: 'user', content: u }, { role: 'assistant', content: a }] });
const approachIds = ['prompt-engineering', 'rag', 'sft', 'persona-tuning', 'tool-calling-sft', 'dpo', 'continued-pretraining'];

describe('llmops decide', function () {
  this.timeout(60_000);
  let tmp: string;
  let out: string;
  let err: string;
  const io = (cwd = tmp) => ({ out: (s: string) => void (out += s), err: (s: string) => void (err += s), cwd, color: false });
  const manifest = (text: string): void => writeFileSync(path.join(tmp, 'llmops.yaml'), text);
  beforeEach(() => {
    tmp = mkdtempSync(path.join(tmpdir(), 'llmops-decide-'));
    out = '';
    err = '';
    mkdirSync(path.join(tmp, 'data'));
    writeFileSync(path.join(tmp, 'data', 'train.jsonl'), Array.from({ length: 80 }, (_, i) => chat(`question ${i}`, `answer ${i}`)).join('\n') + '\n');
    manifest(
      [
        'version: 1',
        'project:',
        '  name: support-bot',
        'volume:',
        '  monthly_requests: 500000',
        'datasets:',
        '  train: data/train.jsonl',
        'decision:',
        '  date: 2025-06-01',
        '  revision: 2',
        '  inputs:',
        '    domain_specificity: high',
        '    brand_voice: high',
        '',
      ].join('\n'),
    );
  });
  afterEach(() => rmSync(tmp, { recursive: true, force: true }));

  it('--format json: the ranked recommendation, break-even, matrix, ROI and inputs', async () => {
    assert.equal(await runCli(['decide', '--format', 'json'], io()), 0, err);
    const r = JSON.parse(out);
    assert.deepEqual(Object.keys(r), ['recommendation', 'breakEvenMonths', 'matrix', 'roi', 'inputs', 'answered', 'fromProject', 'sources', 'saved']);
    const top = r.recommendation[0];
    assert.equal(top.approach, 'sft+persona-tuning');
    assert.deepEqual(top.approaches, ['sft', 'persona-tuning']);
    assert.equal(typeof top.score, 'number');
    assert.ok(Array.isArray(top.reasons) && top.reasons.length > 0);
    assert.deepEqual(Object.keys(top.reasons[0]), ['text', 'inputs', 'effect']);
    for (const rec of r.recommendation) {
      assert.equal(typeof rec.approach, 'string');
      for (const a of rec.approaches) assert.ok(approachIds.includes(a), a);
      assert.equal(rec.approach, rec.approaches.join('+'));
    }
    for (const a of approachIds) assert.ok(r.recommendation.some((x: { approach: string }) => x.approach === a), a);
    assert.ok(Math.abs(r.breakEvenMonths - 2.6375) < 1e-9);
    assert.equal(r.matrix.cell, 'strong-case-for-fine-tuning');
    assert.equal(r.roi.apiMonthlyUsd, 2500);
    assert.equal(r.inputs.monthlyRequests, 500_000);
    assert.equal(r.inputs.labelledExamples, 80);
    assert.deepEqual(r.answered, ['domainSpecificity', 'brandVoice']);
    assert.deepEqual(r.fromProject, ['monthlyRequests', 'labelledExamples']);
    assert.equal(r.sources.labelledExamples, 'data/train.jsonl (80 records, linted clean)');
    assert.deepEqual(r.saved, { date: '2025-06-01', revision: 2 });
  });

  it('text: readable in a terminal', async () => {
    assert.equal(await runCli(['decide', 'llmops.yaml'], io()), 0, err);
    assert.match(out, /^Decision for support-bot \(llmops\.yaml, decision revision 2, 2025-06-01\)\n/);
    assert.match(out, /Matrix: high volume \(500k requests\/month; high from 100k\) × high domain specificity → Strong case for fine-tuning/);
    assert.match(out, /\n {2}1\. SFT \+ persona tuning +\d+\/100 {2}sft\+persona-tuning\n/);
    assert.match(out, /Break-even: 2\.6 months \(saves \$2,000\/month\)/);
    assert.match(out, /Clean labelled examples +80 examples +project: data\/train\.jsonl/);
    assert.ok(!out.includes('\u001b['), 'no colour codes when color is off');
  });

  it('takes the project folder, and finds llmops.yaml above the current folder', async () => {
    assert.equal(await runCli(['decide', tmp, '--format=json'], io(repo)), 0, err);
    out = '';
    assert.equal(await runCli(['decide', '--format', 'json'], io(path.join(tmp, 'data'))), 0, err);
    assert.equal(JSON.parse(out).inputs.labelledExamples, 80);
  });

  it('without a decision: section: defaults plus the project values', async () => {
    manifest('version: 1\nproject:\n  name: x\n');
    assert.equal(await runCli(['decide', '--format', 'json'], io()), 0, err);
    const r = JSON.parse(out);
    assert.equal(r.saved, null);
    assert.equal(r.recommendation[0].approach, 'prompt-engineering');
  });

  it('exit 2: unknown option, bad format, two manifests, missing file, no manifest found', async () => {
    for (const args of [['--verbose'], ['--format', 'yaml'], ['--format'], ['a.yaml', 'b.yaml']]) {
      err = '';
      assert.equal(await runCli(['decide', ...args], io()), 2, args.join(' '));
      assert.match(err, /^llmops decide: /);
      assert.match(err, /Usage: llmops decide/);
    }
    err = '';
    assert.equal(await runCli(['decide', 'missing.yaml'], io()), 2);
    assert.equal(err, 'llmops decide: missing.yaml: no such file\n');
    err = '';
    const empty = mkdtempSync(path.join(tmpdir(), 'llmops-decide-none-'));
    try {
      assert.equal(await runCli(['decide'], io(empty)), 2);
      assert.match(err, /no llmops\.yaml in .* or above; pass its path/);
    } finally {
      rmSync(empty, { recursive: true, force: true });
    }
  });

  it('exit 2 with the line when llmops.yaml does not parse or its decision: is invalid', async () => {
    manifest('version: 1\nproject:\n  name: "x\n');
    assert.equal(await runCli(['decide'], io()), 2);
    assert.match(err, /^llmops\.yaml:\d+: error llmops\.yaml does not parse/);
    err = '';
    manifest('version: 1\nproject:\n  name: x\ndecision:\n  inputs:\n    tool_calling: maybe\n');
    assert.equal(await runCli(['decide'], io()), 2);
    assert.match(err, /^llmops\.yaml:6: error decision\.inputs\.tool_calling: Expected true or false\n/);
    assert.equal(out, '');
  });

  it('--help prints the usage and exits 0; the main help lists decide', async () => {
    assert.equal(await runCli(['decide', '--help'], io()), 0);
    assert.match(out, /^Usage: llmops decide \[llmops\.yaml\] \[--format text\|json\]/);
    out = '';
    assert.equal(await runCli(['--help'], io()), 0);
    assert.match(out, /\n {2}decide \[llmops\.yaml\] {4}Should this use case prompt, retrieve, fine-tune/);
  });

  it('as a process: exit codes and JSON on stdout', () => {
    const run = (args: string[]) => spawnSync(process.execPath, ['--import', 'tsx', path.join(repo, 'src', 'runtime', 'main.ts'), 'decide', ...args], { cwd: repo, encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' } });
    const ok = run([path.join(tmp, 'llmops.yaml'), '--format', 'json']);
    assert.equal(ok.status, 0, ok.stderr);
    assert.equal(JSON.parse(ok.stdout).recommendation[0].approach, 'sft+persona-tuning');
    const bad = run([path.join(tmp, 'nope.yaml')]);
    assert.equal(bad.status, 2);
    assert.match(bad.stderr, /no such file/);
  });
});
