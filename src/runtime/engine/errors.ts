/** Any error the engine reports about a graph or a run (never an ORT stack trace for a bad graph). */
export class EngineError extends Error {
  override name = 'EngineError';
}

/** Incompatible shapes or dtypes, found while the graph is built: names the op and the shapes. */
export class ShapeError extends EngineError {
  override name = 'ShapeError';
  constructor(
    readonly op: string,
    message: string,
  ) {
    super(`${op}: ${message}`);
  }
}

/** An op the engine does not implement (or whose gradient it does not implement). */
export class UnsupportedOpError extends EngineError {
  override name = 'UnsupportedOpError';
  constructor(
    readonly op: string,
    message: string,
  ) {
    super(message);
  }
}

export interface NonFiniteReport {
  /** Tensor name: the parameter name for a gradient, the output name otherwise. */
  name: string;
  kind: 'gradient' | 'output';
  nan: number;
  inf: number;
  /** Index of the first non-finite element. */
  first: number;
}

/** NaN or Inf found in a gradient or a fetched output after a run. */
export class NonFiniteError extends EngineError {
  override name = 'NonFiniteError';
  constructor(readonly reports: NonFiniteReport[]) {
    super(
      reports
        .map((r) => `${r.kind} of '${r.name}' is not finite: ${r.nan} NaN, ${r.inf} Inf (first at flat index ${r.first})`)
        .join('; '),
    );
  }
}
