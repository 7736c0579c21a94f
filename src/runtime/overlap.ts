import { createReadStream, promises as fs } from 'node:fs';
import * as path from 'node:path';
import { createInterface } from 'node:readline';
import { detectRecordFormat, formatNames } from '../core/dataset/formats';
import type { OverlapReference } from '../core/lint/types';
import { OverlapBuilder } from '../core/quality/recordText';
import type { Project } from './project';

const EVAL_NAME = /(^|[._-])(eval|evaluation|test|valid|validation|val|dev|holdout)([._-]|$)/i;
const cache = new Map<string, Promise<OverlapReference>>();

/**
 * The training file an evaluation file must not overlap: llmops.yaml's `datasets.train` for the
 * `eval` dataset (or any file named like an eval split), else a train*.jsonl beside it.
 */
export async function trainFileFor(project: Project, file: string, role: string | undefined): Promise<string | null> {
  const isEval = role === 'eval' || (role === undefined && EVAL_NAME.test(path.basename(file, '.jsonl')));
  if (!isEval) return null;
  const declared = project.manifest?.datasets?.train;
  if (declared) {
    const p = path.resolve(project.root, declared);
    return p === path.resolve(file) ? null : p;
  }
  try {
    const sibling = (await fs.readdir(path.dirname(file))).filter((n) => /^train.*\.jsonl$/i.test(n)).sort()[0];
    return sibling ? path.join(path.dirname(file), sibling) : null;
  } catch {
    return null;
  }
}

/** Hashes of the training file's records and prompts, cached by path, size and modification time. */
export async function overlapFor(project: Project, file: string, role: string | undefined): Promise<OverlapReference | undefined> {
  const train = await trainFileFor(project, file, role);
  if (!train) return undefined;
  let stat;
  try {
    stat = await fs.stat(train);
  } catch {
    return undefined; // no training file (yet): nothing to compare with
  }
  const id = `${train}:${stat.size}:${stat.mtimeMs}`;
  let p = cache.get(id);
  if (!p) {
    if (cache.size > 16) cache.clear();
    p = load(train, id, path.relative(project.root, train).split(path.sep).join('/'));
    cache.set(id, p);
  }
  return p;
}

async function load(train: string, id: string, trainPath: string): Promise<OverlapReference> {
  const b = new OverlapBuilder();
  const detect = (v: unknown) => formatNames[detectRecordFormat(v)];
  const lines = createInterface({ input: createReadStream(train, { encoding: 'utf8', highWaterMark: 1 << 22 }), crlfDelay: Infinity });
  for await (const line of lines) b.add(line, detect);
  return { id, trainPath, records: b.records, prompts: b.prompts };
}
