import type { FileRule } from '../types';

/** Collected per record: its format name (a shared string: nothing allocated per record). */
export const mixedFormats: FileRule<string> = {
  code: 'LD016',
  name: 'mixed-formats',
  scope: 'file',
  defaultSeverity: 'error',
  summary: 'The file mixes records of different dataset formats.',
  doc: {
    what: 'Flags the first record of every format that is not the file\'s main one (for example a few Alpaca records in an OpenAI chat file), with the counts of each format.',
    why: 'A trainer reads a file with one format: `datasets` infers the columns from the first rows and fails or fills the rest with nulls; OpenAI rejects the file. Mixed files come from concatenating exports.',
    example: '{"messages": [...]}\n{"instruction": "Summarise", "input": "...", "output": "..."}',
    useInstead: 'Convert every record to one format, or keep one file per format.',
  },
  collect(record, ctx) {
    if (ctx.format === 'unknown' || typeof record !== 'object' || record === null || Array.isArray(record)) return undefined;
    return ctx.format;
  },
  stream() {
    const counts = new Map<string, number>();
    const firstLine = new Map<string, number>();
    return {
      add(line, format) {
        counts.set(format, (counts.get(format) ?? 0) + 1);
        if (!firstLine.has(format)) firstLine.set(format, line);
      },
      end() {
        if (counts.size < 2) return [];
        const sorted = [...counts.entries()].sort((a, b) => b[1] - a[1]);
        const main = sorted[0][0];
        const summary = sorted.map(([f, n]) => `${n} ${f}`).join(', ');
        return sorted.slice(1).map(([format]) => ({
          line: firstLine.get(format)!,
          target: { path: [] },
          message: `This ${format} record is in ${/^[aeiou]/.test(main) ? 'an' : 'a'} ${main} file (${summary}): one file, one format`,
        }));
      },
    };
  },
};
