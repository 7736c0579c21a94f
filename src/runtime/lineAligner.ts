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
