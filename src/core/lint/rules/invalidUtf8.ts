import type { Rule } from '../types';

export const invalidUtf8: Rule = {
  code: 'LD004',
  name: 'invalid-utf8',
  defaultSeverity: 'error',
  summary: 'The file contains bytes that are not valid UTF-8.',
  doc: {
    what: 'Flags the first byte sequence that is not valid UTF-8, with its line, column and byte offset. The rest of the file is still linted (invalid bytes read as U+FFFD).',
    why: 'JSON text must be UTF-8. Latin-1 or Windows-1252 bytes from a spreadsheet export make Python loaders raise `UnicodeDecodeError`, or are silently replaced so the model trains on garbage characters.',
    example: 'A CSV exported as Windows-1252 and converted to JSONL: "caf\\xe9" (the byte 0xE9 alone)',
    useInstead: 'Re-encode the file as UTF-8, e.g. `iconv -f WINDOWS-1252 -t UTF-8 in.jsonl > out.jsonl`.',
  },
};
