import { minhashSignature, NearDuplicateIndex } from '../../quality/minhash';
import { recordText } from '../../quality/recordText';
import type { FileIssue, FileRule } from '../types';

interface Item {
  sig: Uint32Array;
  /** Exact-duplicate hash: exact copies are duplicate-record's, not reported twice. */
  hash: number;
}

/** Records with fewer characters than this are too short to call near-duplicates (greetings, "yes"). */
const MIN_CHARS = 40;
/**
 * 64 bins: 10 bands × 6 rows need 60; 128 bins halve the estimate's error but double the cost of
 * the step that dominates this rule (filling empty bins), and the rule runs on every record.
 */
const BINS = 64;

export const nearDuplicate: FileRule<Item> = {
  code: 'LD027',
  name: 'near-duplicate',
  scope: 'file',
  defaultSeverity: 'info',
  summary: 'A record is nearly identical to an earlier one.',
  doc: {
    what: 'Finds records whose user and assistant text is nearly the same as an earlier record\'s (MinHash over word 3-grams with LSH; estimated Jaccard similarity ≥ 0.85 by default, `lint.near_duplicate_threshold` in llmops.yaml). System prompts and tool definitions are ignored, since they repeat in every record.',
    why: 'Templated data (the same request with one word swapped) teaches the template, not the task; near-duplicates across train and eval inflate scores. Diversity matters more than count.',
    example: '{"messages": [{"role": "user", "content": "Add a task to call the bank tomorrow"}, ...]}\n{"messages": [{"role": "user", "content": "Add a task to call the bank on Friday"}, ...]}',
    useInstead: 'Keep one of each near-identical group, or vary the requests (wording, entities, length, difficulty).',
  },
  collect(record, ctx) {
    if (typeof record !== 'object' || record === null || Array.isArray(record)) return undefined;
    const text = recordText(record as Record<string, unknown>, ctx.format);
    if (text.length < MIN_CHARS) return undefined;
    return { sig: minhashSignature(text, BINS), hash: ctx.lineHash() };
  },
  stream(config) {
    const index = new NearDuplicateIndex({ threshold: config.nearDuplicateThreshold, storedBins: BINS });
    // Exact copies are duplicate-record's: a match with the same line hash is not reported here.
    let hashes = new Float64Array(1024);
    const issues: FileIssue[] = [];
    return {
      add(line, item) {
        if (line >= hashes.length) {
          const bigger = new Float64Array(Math.max(line + 1, hashes.length * 2));
          bigger.set(hashes);
          hashes = bigger;
        }
        hashes[line] = item.hash;
        const hit = index.add(line, item.sig);
        if (hit && hashes[hit.of] !== item.hash && issues.length < 1000) {
          issues.push({ line, target: { path: [] }, message: `Nearly identical to the record on line ${hit.of + 1} (estimated similarity ${Math.round(hit.jaccard * 100)}%)` });
        }
      },
      end: () => issues,
    };
  },
};
