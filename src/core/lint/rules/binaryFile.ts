import type { Rule } from '../types';

export const binaryFile: Rule = {
  code: 'LD003',
  name: 'binary-file',
  defaultSeverity: 'error',
  summary: 'The file is binary (or compressed, or UTF-16), not UTF-8 JSON Lines text.',
  doc: {
    what: 'Flags a dataset file that contains NUL bytes or starts with the signature of a compressed or columnar format (gzip, zip, Parquet, zstd) or with a UTF-16 byte order mark. Nothing else in the file is linted.',
    why: 'A `.jsonl` name does not make a file JSON Lines. Compressed or Parquet files renamed to `.jsonl`, or files saved as UTF-16 by some Windows tools, fail in every trainer.',
    example: 'train.jsonl that is really train.jsonl.gz',
    useInstead: 'Decompress the file (`gunzip -c train.jsonl.gz > train.jsonl`), convert Parquet with `pandas.read_parquet(...).to_json(lines=True, orient="records")`, or re-save the file as UTF-8.',
  },
};
