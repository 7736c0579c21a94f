import { createReadStream } from 'node:fs';
/**
 * Cuts a byte stream at newline bytes, so that no piece splits a line — nor, therefore, a UTF-8
 * sequence. Streamed lint and stats read files of any size through it.
 */
export class LineAligner {
  private carry: Buffer | null = null;

  /** Bytes of the line still open (read but not yet returned). */
  get carried(): Buffer | null {
    return this.carry;
  }

  /** The complete lines so far, ending with '\n'; null while the only line is still open. */
  push(chunk: Buffer): Buffer | null {
    const buf = this.carry ? Buffer.concat([this.carry, chunk]) : chunk;
    const lastNl = buf.lastIndexOf(0x0a);
    if (lastNl < 0) {
      this.carry = buf;
      return null;
    }
    this.carry = lastNl + 1 < buf.length ? Buffer.from(buf.subarray(lastNl + 1)) : null;
    return buf.subarray(0, lastNl + 1);
  }

  /** The last line when the stream does not end with a newline. */
  end(): Buffer | null {
    const rest = this.carry;
    this.carry = null;
    return rest;
  }
}

/**
 * Streams a file's lines (without their `\n`) to `onLine`, in bounded memory for any size;
 * `onChunk` sees the raw bytes (e.g. to hash them). Rejects on I/O errors.
 */
export async function readFileLines(file: string, onLine: (line: string) => void, onChunk?: (chunk: Buffer) => void): Promise<void> {
  const aligner = new LineAligner();
  const stream = createReadStream(file, { highWaterMark: 4 * 1024 * 1024 });
  try {
    for await (const chunk of stream as AsyncIterable<Buffer>) {
      onChunk?.(chunk);
      const piece = aligner.push(chunk);
      if (!piece) continue;
      const text = piece.toString('utf8', 0, piece.length - 1);
      let pos = 0;
      while (pos <= text.length) {
        let nl = text.indexOf('\n', pos);
        if (nl < 0) nl = text.length;
        onLine(text.slice(pos, nl));
        pos = nl + 1;
      }
    }
  } finally {
    stream.destroy();
  }
  const last = aligner.end();
  if (last) onLine(last.toString('utf8'));
}
