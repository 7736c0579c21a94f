import * as assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Connection } from 'vscode-languageserver/node';
import { defaultRuntimeSettings } from '../../src/protocol/runtime';
import { DecisionReportRequest, DecisionSaveRequest, DecisionStateRequest, StarterTrainConfigRequest, type DecisionSaveResult, type DecisionState } from '../../src/protocol/decision';
import { findDatasets, lintDatasetFile } from '../../src/runtime/datasetFiles';
import { decisionState, locateProject, registerDecisionHandlers, type DecisionProjectDeps } from '../../src/runtime/decision';

const chat = (u: string, a: string): string => JSON.stringify({ messages: [{ role: 'user', content: u }, { role: 'assistant', content: a }] });
const pref = (p: string, c: string, r: string): string => JSON.stringify({ prompt: p, chosen: c, rejected: r });

const diskDeps = (root: string): DecisionProjectDeps => ({
  datasets: async () => (await findDatasets(root, { exclude: defaultRuntimeSettings.exclude, limit: 1000 })).files,
  lint: async (file) => {
    const r = await lintDatasetFile(file);
    return { records: r.records, format: r.format, findings: r.findings };
  },
});

describe('decision runtime: project state', function () {
  this.timeout(60_000);
  let tmp: string;
  const write = (rel: string, text: string): void => {
    mkdirSync(path.dirname(path.join(tmp, rel)), { recursive: true });
    writeFileSync(path.join(tmp, rel), text);
  };
  beforeEach(() => {
    tmp = mkdtempSync(path.join(tmpdir(), 'llmops-decision-'));
  });
  afterEach(() => rmSync(tmp, { recursive: true, force: true }));

  it('an empty folder: no manifest, nothing from the project, every stage "none"', async () => {
    const s = await decisionState(tmp, null, diskDeps(tmp));
    assert.equal(s.manifestPath, null);
    assert.equal(s.saved, null);
    assert.equal(s.problem, null);
    assert.deepEqual(s.fromProject, {});
    assert.deepEqual(s.lifecycle.map((x) => [x.stage, x.state]), [['data', 'none'], ['training', 'none'], ['evaluation', 'none'], ['deployment', 'none'], ['monitoring', 'none']]);
    assert.match(s.lifecycle[4].summary, /No monitoring yet/);
  });

  it('reads volume, clean labelled examples and preference pairs, and says where each came from', async () => {
    write('llmops.yaml', 'version: 1\nproject:\n  name: demo\nvolume:\n  monthly_requests: 500000\ndatasets:\n  train: data/train.jsonl\n  eval: data/eval.jsonl\n');
    // 12 lines: an invalid JSON line (no record) and a record without an assistant reply (not clean).
    const good = Array.from({ length: 10 }, (_, i) => chat(`q${i} about our product`, `answer number ${i} in detail`));
    write('data/train.jsonl', [...good, '{"messages": [', JSON.stringify({ messages: [{ role: 'user', content: 'only a question' }] })].join('\n') + '\n');
    write('data/eval.jsonl', good.slice(0, 3).join('\n') + '\n');
    write('data/prefs.jsonl', Array.from({ length: 4 }, (_, i) => pref(`p${i}`, `good ${i}`, `bad ${i}`)).join('\n') + '\n');
    const s = await decisionState(tmp, path.join(tmp, 'llmops.yaml'), diskDeps(tmp));
    assert.equal(s.fromProject.monthlyRequests, 500_000);
    assert.equal(s.sources.monthlyRequests, 'llmops.yaml volume.monthly_requests');
    assert.equal(s.fromProject.labelledExamples, 10, 'only the clean records of the declared training set');
    assert.match(s.sources.labelledExamples!, /^data\/train\.jsonl \(11 records, 1 with errors: 10 counted\)$/);
    assert.equal(s.fromProject.preferencePairs, 4);
    assert.equal(s.sources.preferencePairs, 'data/prefs.jsonl (4 pairs, linted clean)');
    const data = s.lifecycle[0];
    assert.equal(data.state, 'partial');
    assert.match(data.summary, /^3 datasets, 18 records; \d+ errors? in data\/train\.jsonl$/);
    assert.deepEqual(data.files, ['data/train.jsonl']);
  });

  it('without datasets: in llmops.yaml, every non-held-out dataset is training data', async () => {
    write('a.jsonl', chat('hi', 'hello') + '\n');
    write('more/b.jsonl', chat('hi', 'hey') + '\n' + chat('yo', 'hey there') + '\n');
    write('more/test.jsonl', chat('x', 'y') + '\n');
    const s = await decisionState(tmp, null, diskDeps(tmp));
    assert.equal(s.fromProject.labelledExamples, 3);
    assert.equal(s.sources.labelledExamples, 'a.jsonl (1 records, linted clean); more/b.jsonl (2 records, linted clean)');
    assert.equal(s.lifecycle[0].state, 'done');
  });

  it('lifecycle: training configs and runs, eval configs and results, adapters and exported models', async () => {
    write('data/train.jsonl', chat('hi', 'hello') + '\n');
    write('sft.train.yaml', 'base_model: x\n');
    write('quality.eval.yaml', 'metrics: []\n');
    write('.llmops/runs/r1/run.json', JSON.stringify({ status: 'completed' }));
    write('.llmops/runs/r1/adapter/adapter_config.json', '{}');
    write('.llmops/runs/r2/run.json', JSON.stringify({ status: 'running' }));
    write('.llmops/runs/e1/run.json', JSON.stringify({ kind: 'eval', status: 'completed' }));
    let s = await decisionState(tmp, null, diskDeps(tmp));
    const stage = (name: string) => s.lifecycle.find((x) => x.stage === name)!;
    assert.deepEqual([stage('training').state, stage('training').summary], ['done', '1 training config, 2 runs (1 completed, 1 running)']);
    assert.ok(stage('training').files.includes('sft.train.yaml'));
    assert.deepEqual([stage('evaluation').state, stage('evaluation').summary], ['done', '1 evaluation config, 1 result']);
    assert.equal(stage('deployment').state, 'partial');
    assert.match(stage('deployment').summary, /1 trained adapter, not exported yet/);
    write('exports/model/model.onnx', 'x');
    s = await decisionState(tmp, null, diskDeps(tmp));
    assert.equal(stage('deployment').state, 'done');
    assert.deepEqual(stage('deployment').files, ['exports/model/model.onnx']);
  });

  it('a malformed decision: section is a problem with its line; project values still count', async () => {
    write('llmops.yaml', 'version: 1\nproject:\n  name: demo\nvolume:\n  monthly_requests: 2000\ndecision:\n  revision: 1\n  inputs:\n    brand_voice: loud\n');
    const s = await decisionState(tmp, path.join(tmp, 'llmops.yaml'), diskDeps(tmp));
    assert.equal(s.saved, null);
    assert.deepEqual(s.problem, { message: 'decision.inputs.brand_voice: Expected one of: low, medium, high', line: 9 });
    assert.equal(s.fromProject.monthlyRequests, 2000);
  });

  it('finds the project in the folder, or the only llmops.yaml a few levels down', async () => {
    assert.deepEqual(await locateProject(tmp), { root: tmp, manifestPath: null });
    write('examples/demo/llmops.yaml', 'version: 1\nproject: {name: demo}\n');
    assert.deepEqual(await locateProject(tmp), { root: path.join(tmp, 'examples', 'demo'), manifestPath: path.join(tmp, 'examples', 'demo', 'llmops.yaml') });
    write('examples/other/llmops.yaml', 'version: 1\nproject: {name: other}\n');
    assert.deepEqual(await locateProject(tmp), { root: tmp, manifestPath: null });
    write('llmops.yaml', 'version: 1\nproject: {name: top}\n');
    assert.deepEqual(await locateProject(tmp), { root: tmp, manifestPath: path.join(tmp, 'llmops.yaml') });
  });
});

describe('decision runtime: language server requests', function () {
  this.timeout(60_000);
  let tmp: string;
  let handlers: Map<string, (p: unknown) => Promise<unknown>>;
  let published: string[];
  const call = <T>(method: string, params: unknown): Promise<T> => handlers.get(method)!(params) as Promise<T>;
  beforeEach(() => {
    tmp = mkdtempSync(path.join(tmpdir(), 'llmops-decision-lsp-'));
    mkdirSync(path.join(tmp, 'data'));
    writeFileSync(path.join(tmp, 'data', 'train.jsonl'), Array.from({ length: 60 }, (_, i) => chat(`question ${i}`, `answer ${i}`)).join('\n') + '\n');
    writeFileSync(path.join(tmp, 'llmops.yaml'), '# demo project\nversion: 1\nproject:\n  name: demo\nbase_model: ./models/tiny\nvolume:\n  monthly_requests: 500000   # analytics\ndatasets:\n  train: data/train.jsonl\n');
    handlers = new Map();
    published = [];
    const connection = { onRequest: (method: string, fn: (p: unknown) => Promise<unknown>) => handlers.set(method, fn) } as unknown as Connection;
    registerDecisionHandlers(connection, { folders: () => [pathToFileURL(tmp).href], datasetDeps: diskDeps, publishManifest: (p) => published.push(p), log: () => undefined });
  });
  afterEach(() => rmSync(tmp, { recursive: true, force: true }));

  it('state: the project values, and the manifest problems published', async () => {
    const s = await call<DecisionState>(DecisionStateRequest.method, {});
    assert.equal(s.manifestPath, path.join(tmp, 'llmops.yaml'));
    assert.deepEqual(s.fromProject, { monthlyRequests: 500_000, labelledExamples: 60 });
    assert.deepEqual(published, [path.join(tmp, 'llmops.yaml')]);
    assert.equal((await call<DecisionState>(DecisionStateRequest.method, undefined)).manifestPath, s.manifestPath);
  });

  it('save: the new text with only the decision added, never written by the runtime', async () => {
    const r = await call<DecisionSaveResult>(DecisionSaveRequest.method, { text: null, inputs: { domainSpecificity: 'high' } });
    assert.ok(r.ok);
    assert.equal(r.path, path.join(tmp, 'llmops.yaml'));
    assert.ok(r.text.startsWith('# demo project\nversion: 1\n'));
    assert.match(r.text, /monthly_requests: 500000 {3}# analytics\n/);
    assert.equal(r.saved.result.id, 'sft');
    assert.equal(r.saved.revision, 1);
    // The unsaved editor text wins over the file; a broken one is refused.
    const bad = await call<DecisionSaveResult>(DecisionSaveRequest.method, { text: 'version: 1\nproject: [\n', inputs: {} });
    assert.equal(bad.ok, false);
  });

  it('report and starter config', async () => {
    const { markdown } = await call<{ markdown: string }>(DecisionReportRequest.method, { inputs: { domainSpecificity: 'high' } });
    assert.match(markdown, /^# Decision: how to customise the model for demo\n/);
    assert.match(markdown, /data\/train\.jsonl \(60 records, linted clean\)/);
    const c = await call<{ fileName: string; text: string }>(StarterTrainConfigRequest.method, { approach: 'dpo' });
    assert.equal(c.fileName, 'dpo.train.yaml');
    assert.match(c.text, /base_model: \.\/models\/tiny +# from llmops\.yaml/);
    await assert.rejects(call(StarterTrainConfigRequest.method, { approach: 'rag' }), /trains no model/);
  });

  it('rejects malformed parameters', async () => {
    await assert.rejects(call(StarterTrainConfigRequest.method, { approach: 'magic' }), /approach/);
    await assert.rejects(call(DecisionSaveRequest.method, { inputs: {} }), /text/);
    await assert.rejects(call(DecisionReportRequest.method, { inputs: 'all' }), /inputs/);
  });
});
