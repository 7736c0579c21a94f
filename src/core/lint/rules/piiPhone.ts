import type { RecordRule } from '../types';
import { reportPii } from './piiShared';

export const piiPhone: RecordRule = {
  code: 'LD030',
  name: 'pii-phone',
  scope: 'record',
  defaultSeverity: 'warning',
  summary: 'A record contains a phone number.',
  fix: { title: 'Mask the phone number', applicability: 'unsafe' },
  doc: {
    what: 'Finds phone numbers (international and common national formats), ignoring dates, times, versions, IDs and other digit runs that only look like numbers.',
    why: 'Phone numbers are personal data; a model trained on them can leak them in answers.',
    example: '{"text": "Call me at +1 415 555 0199"}',
    useInstead: '{"text": "Call me at ***-***-0199"}',
  },
  check(_record, ctx) {
    reportPii(piiPhone, 'phone', ctx, 'personal data the model can memorise and repeat');
  },
};
