import * as path from 'node:path';
import type * as Deferred from './deferred';

let mod: typeof Deferred | undefined;

/** The deferred bundle (see deferred.ts), loaded on first use. */
export function deferred(): typeof Deferred {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return (mod ??= require(path.join(__dirname, 'deferred.js')) as typeof Deferred);
}
