// `llmops train` as a real process, the way a user and the extension run it: Ctrl-C (SIGINT) and
// SIGTERM delivered by the operating system to a separate process mid-run, resuming the cancelled
// run to the same adapter bytes as an uninterrupted run, and a disk that fills up while a
// checkpoint is being saved (a real size-limited tmpfs: the previous checkpoint stays the latest
// valid one, and the run resumes from it once there is room).
import { strict as assert } from 'node:assert';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { readPeftAdapter } from '../../src/runtime/models/peft';
import { tinyModel } from '../reference/tinyModel';
import { cliJs, ensureBuilt, root, tempDir } from './helpers';

const TRAIN = join(root, 'examples/task-assistant/data/train.jsonl');

interface Event {
  event: string;
  step?: number;
  status?: string;
  run_dir?: string;
  error?: string;
  path?: string;
}

interface Run {
  code: number | null;
  signal: NodeJS.Signals | null;
  events: Event[];
  stderr: string;
}

/** Runs `llmops train … --json`; `onEvent` may signal the child. */
function runCli(args: string[], onEvent?: (e: Event, child: ReturnType<typeof spawn>) => void): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [cliJs, 'train', ...args, '--json', '--threads', '1'], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
    const events: Event[] = [];
    let buf = '';
    let stderr = '';
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (d: string) => {
      buf += d;
      for (let nl = buf.indexOf('\n'); nl >= 0; nl = buf.indexOf('\n')) {
        const line = buf.slice(0, nl);
        buf = buf.slice(nl + 1);
        if (!line.trim()) continue;
        const e = JSON.parse(line) as Event;
        events.push(e);
        onEvent?.(e, child);
      }
    });
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (d: string) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code, signal) => resolve({ code, signal, events, stderr }));
  });
}

const done = (r: Run): Event => {
  const d = r.events.find((e) => e.event === 'done');
  assert.ok(d, `no done event; stderr: ${r.stderr}`);
  return d;
};

const losses = (runDir: string): number[] =>
  readFileSync(join(runDir, 'metrics.jsonl'), 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as { step: number; loss?: number })
    .filter((m) => m.loss !== undefined)
    .map((m) => m.loss!);

const status = (runDir: string): string => (JSON.parse(readFileSync(join(runDir, 'run.json'), 'utf8')) as { status: string }).status;

describe('llmops train as a process: signals, resume, disk full (tiny Llama)', function () {
  this.timeout(180000);
  let t: { dir: string; cleanup: () => void };
  let model = '';
  const config = (name: string, out: string, steps: number, saveEvery: number): string => {
    const path = join(t.dir, `${name}.train.yaml`);
    writeFileSync(path, `base_model: ${model}\ndatasets:\n  train: ${TRAIN}\nadapter:\n  r: 8\n  alpha: 16\n  dropout: 0\ntraining:\n  max_steps: ${steps}\n  batch_size: 2\n  lr: 0.002\n  max_seq_len: 256\n  save_every: ${saveEvery}\n  seed: 7\noutput_dir: ${out}\n`);
    return path;
  };
  let straight: { runDir: string; adapter: Buffer; losses: number[] };
  let checkpointBytes = 0;

  before(async () => {
    ensureBuilt();
    t = tempDir('train-process');
    model = await tinyModel(t.dir);
    const r = await runCli([config('straight', join(t.dir, 'straight'), 10, 5)]);
    const d = done(r);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(d.status, 'completed');
    straight = { runDir: d.run_dir!, adapter: readFileSync(join(d.run_dir!, 'adapter', 'adapter_model.safetensors')), losses: losses(d.run_dir!) };
    assert.equal(straight.losses.length, 10);
    // What one checkpoint takes on a tmpfs (whole 4 KB pages per file), for the disk-full test.
    const ck = join(d.run_dir!, 'checkpoints', 'step-5');
    const pages = (dir: string): number => readdirSync(dir, { withFileTypes: true }).reduce((n, e) => n + (e.isDirectory() ? 1 + pages(join(dir, e.name)) : Math.ceil(statSync(join(dir, e.name)).size / 4096)), 0);
    checkpointBytes = (1 + pages(ck)) * 4096;
  });
  after(() => t?.cleanup());

  for (const sig of ['SIGINT', 'SIGTERM'] as const) {
    it(`${sig} to the process: checkpoint at the step it was in, status cancelled, exit 0; --resume ends with the same adapter bytes as an uninterrupted run`, async () => {
      let sent = false;
      const r = await runCli([config(sig, join(t.dir, sig), 10, 100)], (e, child) => {
        if (!sent && e.event === 'step' && e.step === 3) {
          sent = true;
          child.kill(sig);
        }
      });
      assert.ok(sent, 'the run ended before a signal could be sent');
      assert.equal(r.code, 0, `exit ${r.code} (${r.signal}); stderr: ${r.stderr}`);
      const d = done(r);
      assert.equal(d.status, 'cancelled');
      const runDir = d.run_dir!;
      assert.equal(status(runDir), 'cancelled');
      // It finishes the step it was in (3, or 4 if the signal landed after step 4 began) and saves it.
      assert.ok(d.step === 3 || d.step === 4, `cancelled at step ${d.step}`);
      const ck = join(runDir, 'checkpoints', `step-${d.step}`);
      assert.ok(existsSync(join(ck, 'state.json')) && existsSync(join(ck, 'optimizer.safetensors')), `no checkpoint in ${ck}`);
      assert.ok(r.events.some((e) => e.event === 'checkpoint' && e.step === d.step));
      // The cancelled run's adapter is written too, and loads.
      const partial = await readPeftAdapter(join(runDir, 'adapter'));
      assert.ok(partial.weights.length > 0);

      const resumed = await runCli(['--resume', runDir]);
      assert.equal(resumed.code, 0, resumed.stderr);
      assert.equal(done(resumed).status, 'completed');
      assert.equal(status(runDir), 'completed');
      assert.deepEqual(losses(runDir), straight.losses, 'losses of cancel + resume differ from the uninterrupted run');
      assert.ok(readFileSync(join(runDir, 'adapter', 'adapter_model.safetensors')).equals(straight.adapter), 'adapter bytes differ from the uninterrupted run');
    });
  }

  it('disk full while saving a checkpoint: fails saying so, keeps the previous checkpoint as the latest valid one, resumes from it once there is room', async function () {
    // A real full disk: a tmpfs that holds the run's files and two checkpoints of this model, not a
    // third. Mounting needs root (CI runs as root in its container); elsewhere this is skipped.
    const mnt = join(t.dir, 'small-disk');
    mkdirSync(mnt);
    const size = Math.ceil((2.5 * checkpointBytes + 3 * 4096) / 4096) * 4;
    const m = spawnSync('mount', ['-t', 'tmpfs', '-o', `size=${size}k`, 'tmpfs', mnt], { encoding: 'utf8' });
    if (m.status !== 0) {
      console.log(`      (skipped: cannot mount a small tmpfs here: ${(m.stderr || m.error?.message || '').trim()})`);
      this.skip();
    }
    try {
      const r = await runCli([config('full', mnt, 10, 1)]);
      assert.equal(r.code, 1, `exit ${r.code}; stderr: ${r.stderr}`);
      const d = done(r);
      assert.equal(d.status, 'failed');
      assert.match(d.error ?? '', /^saving the checkpoint of step \d+ failed, the disk is full \(ENOSPC: no space left on device.*\); the checkpoint of step \d+ stays the latest valid one: free some space and continue with --resume /);
      const runDir = d.run_dir!;
      assert.equal(status(runDir), 'failed');
      const saved = r.events.filter((e) => e.event === 'checkpoint').map((e) => e.step!);
      assert.ok(saved.length >= 2, `${saved.length} checkpoints saved before the disk (${size} KB) filled up`);
      const last = saved[saved.length - 1];
      assert.match(d.error!, new RegExp(`the checkpoint of step ${last} stays the latest valid one`));
      // Only complete checkpoints in the folder, no temporary leftovers; the newest is the last saved.
      const dirs = readdirSync(join(runDir, 'checkpoints'));
      assert.deepEqual(dirs.filter((n) => !/^step-\d+$/.test(n)), [], `leftovers: ${dirs.join(', ')}`);
      const steps = dirs.map((n) => Number(n.slice(5))).sort((a, b) => a - b);
      assert.equal(steps[steps.length - 1], last);
      for (const s of steps) {
        const ck = join(runDir, 'checkpoints', `step-${s}`);
        assert.equal((JSON.parse(readFileSync(join(ck, 'state.json'), 'utf8')) as { step: number }).step, s);
        assert.ok((await readPeftAdapter(join(ck, 'adapter'))).weights.length > 0);
      }

      // Room again: the run resumes from that checkpoint and ends as the uninterrupted run did.
      const grow = spawnSync('mount', ['-o', 'remount,size=4m', mnt], { encoding: 'utf8' });
      assert.equal(grow.status, 0, grow.stderr);
      const resumed = await runCli(['--resume', runDir]);
      assert.equal(resumed.code, 0, resumed.stderr);
      assert.equal(done(resumed).status, 'completed');
      assert.deepEqual(losses(runDir), straight.losses);
      assert.ok(readFileSync(join(runDir, 'adapter', 'adapter_model.safetensors')).equals(straight.adapter));
    } finally {
      spawnSync('umount', [mnt]);
    }
  });
});
