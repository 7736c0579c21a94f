import { strict as assert } from 'node:assert';
import { detectRecordFormat, formatNames } from '../../src/core/dataset/formats';
import { minhashSignature } from '../../src/core/quality/minhash';
import { recordSignature, recordText } from '../../src/core/quality/recordText';
import { randomVocabulary, rng } from '../random';

const r = rng(11);
const vocabulary = [...randomVocabulary(r, 300, 1, 8), 'Done!', 'ÉTÉ', 'naïve', '東京都', 'ไทย', '✅', 'a-b', '', ' ', '\n'];
const pick = <T>(xs: readonly T[]): T => xs[Math.floor(r() * xs.length)];
const text = (): string => Array.from({ length: Math.floor(r() * 30) }, () => pick(vocabulary)).join(pick([' ', '', '  ', ', ', '\n']));

function content(): unknown {
  const k = r();
  if (k < 0.6) return text();
  if (k < 0.75) return Array.from({ length: Math.floor(r() * 4) }, () => (r() < 0.8 ? { type: 'text', text: text() } : { type: 'image_url', image_url: { url: 'x' } }));
  if (k < 0.85) return '';
  return k < 0.95 ? null : 42;
}
const message = (): unknown => (r() < 0.05 ? 'not an object' : { role: pick(['system', 'developer', 'user', 'assistant', 'tool']), content: content() });
const messages = (): unknown[] => Array.from({ length: Math.floor(r() * 6) }, message);

function record(): Record<string, unknown> {
  switch (Math.floor(r() * 6)) {
    case 0:
      return { messages: messages() };
    case 1:
      return { input: { messages: messages() }, preferred_output: messages(), non_preferred_output: messages() };
    case 2:
      return { prompt: messages(), completion: messages() };
    case 3:
      return { chosen: messages(), rejected: messages() };
    case 4:
      return { prompt: messages(), chosen: messages(), rejected: messages() };
    default:
      return { prompt: text(), completion: text(), label: r() < 0.5 };
  }
}

describe('recordSignature', () => {
  it('equals the signature of recordText for 3,000 random records of every message format', () => {
    let compared = 0;
    for (let i = 0; i < 3000; i++) {
      const rec = record();
      const format = formatNames[detectRecordFormat(rec)];
      for (const k of [64, 128]) {
        const t = recordText(rec, format);
        const expected = t.length < 40 ? undefined : Array.from(minhashSignature(t, k));
        const got = recordSignature(rec, format, k, 40);
        assert.deepEqual(got === undefined ? undefined : Array.from(got), expected, `record ${JSON.stringify(rec)} (${format}, k=${k})`);
        if (expected) compared++;
      }
    }
    assert.ok(compared > 1500, `only ${compared} records were long enough to compare`);
  });
});
