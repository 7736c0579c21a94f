import type { Rule } from '../types';
import { invalidJson } from './invalidJson';
import { multilineJsonNotJsonl } from './multilineJsonNotJsonl';
import { binaryFile } from './binaryFile';
import { invalidUtf8 } from './invalidUtf8';
import { emptyFile } from './emptyFile';

/** Every rule, in code order. Codes and names are stable: never renumber or rename. */
export const rules: readonly Rule[] = [invalidJson, multilineJsonNotJsonl, binaryFile, invalidUtf8, emptyFile];

export function findRule(codeOrName: string): Rule | undefined {
  const key = codeOrName.trim();
  return rules.find((r) => r.code.toLowerCase() === key.toLowerCase() || r.name === key.toLowerCase());
}
