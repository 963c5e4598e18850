import picocolors from 'picocolors';

export type Colors = ReturnType<typeof picocolors.createColors>;

/**
 * What a stream is connected to decides how the CLI writes to it: on a terminal, colour and a live status
 * line rewritten in place; into a pipe or a file (a task log, `| grep`), plain lines only — no escape codes,
 * no carriage returns — the same text a terminal shows, without the live line.
 */
export interface Terminal {
  /** Colour functions: real on a colour terminal, identity otherwise. */
  colours: Colors;
  /** Whether a live status line can be drawn (a terminal that moves its cursor). */
  live: boolean;
  /** Terminal width in columns (80 when unknown). */
  columns(): number;
}

/**
 * Colour follows the conventions data tools share: FORCE_COLOR (any value but 0) forces it, NO_COLOR (any
 * non-empty value) turns it off, otherwise a terminal that has colours gets them (Node's own test, which
 * also honours TERM=dumb) and a pipe never does.
 */
export function colourEnabled(stream: NodeJS.WriteStream, env: NodeJS.ProcessEnv = process.env): boolean {
  if (env.FORCE_COLOR !== undefined && env.FORCE_COLOR !== '') return env.FORCE_COLOR !== '0';
  if (env.NO_COLOR) return false;
  return Boolean(stream.isTTY) && typeof stream.hasColors === 'function' && stream.hasColors();
}

export function terminalOf(stream: NodeJS.WriteStream, env: NodeJS.ProcessEnv = process.env): Terminal {
  return {
    colours: picocolors.createColors(colourEnabled(stream, env)),
    live: Boolean(stream.isTTY) && env.TERM !== 'dumb',
    columns: () => stream.columns || 80,
  };
}
