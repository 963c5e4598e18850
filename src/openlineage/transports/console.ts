import type { Transport } from './transport.js';

/** One JSON line per event on stderr: stdout stays clean for `--json`. */
export function consoleTransport(): Transport {
  return {
    description: 'the console (stderr)',
    immediate: true,
    async send(event) {
      process.stderr.write(`${JSON.stringify(event)}\n`);
    },
  };
}
