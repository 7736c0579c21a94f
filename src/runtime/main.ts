/**
 * Entry of the bundled runtime (dist/runtime.js): `--lsp` starts the language server (the
 * extension passes it), anything else is the `llmops` CLI.
 */
import { runCli } from './cli';
import { startServer } from './server';

if (process.argv.includes('--lsp')) {
  startServer();
} else {
  // `llmops lint ... | head`: a closed pipe ends the command quietly, as in other CLI tools.
  for (const s of [process.stdout, process.stderr]) {
    s.on('error', (e: NodeJS.ErrnoException) => {
      if (e.code === 'EPIPE') process.exit(process.exitCode ?? 0);
      throw e;
    });
  }
  // Writes must drain before exit: large JSON reports on a pipe are otherwise cut short.
  const write = (stream: NodeJS.WriteStream) => (s: string) => void stream.write(s);
  runCli(process.argv.slice(2), {
    out: write(process.stdout),
    err: write(process.stderr),
    cwd: process.cwd(),
    color: !!process.stdout.isTTY && !process.env.NO_COLOR,
  }).then(
    (code) => {
      process.exitCode = code;
    },
    (e) => {
      process.stderr.write(`llmops: ${(e as Error)?.stack ?? e}\n`);
      process.exitCode = 2;
    },
  );
}
