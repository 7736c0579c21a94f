import { findPii, maskPii, type PiiKind, type PiiMatch } from '../../quality/pii';
import type { RecordContext, RecordRule } from '../types';

let lastText = '';
let lastMatches: PiiMatch[] = [];

/** PII matches of the current record's raw line; the four PII rules share one scan per record. */
function matchesOf(text: string): PiiMatch[] {
  if (text !== lastText) {
    lastText = text;
    lastMatches = findPii(text);
  }
  return lastMatches;
}

const labels: Record<PiiKind, string> = { email: 'an email address', phone: 'a phone number', 'credit-card': 'a payment card number', 'secret-key': 'a secret key' };

/** Reports every match of `kind` in the record with a fix that masks it. */
export function reportPii(rule: RecordRule, kind: PiiKind, ctx: RecordContext, why: string): void {
  for (const m of matchesOf(ctx.text)) {
    if (m.kind !== kind) continue;
    const masked = maskPii(m.value, kind);
    ctx.report(
      rule,
      { offset: m.offset, length: m.length },
      `This looks like ${labels[kind]}${m.detail ? ` (${m.detail})` : ''}: ${why}`,
      { title: `Mask it as ${masked}`, applicability: 'unsafe', edits: [{ target: { offset: m.offset, length: m.length }, newText: m.inString ? masked : JSON.stringify(masked) }] },
      // Published test numbers and reserved example domains are not personal data: mention them only.
      m.detail === 'test card number' || m.detail === 'example domain' ? 'info' : undefined,
    );
  }
}
