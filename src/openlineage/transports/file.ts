import { appendFileSync, writeFileSync } from 'node:fs';
import type { Transport } from './transport.js';

/**
 * The Python client's file transport: with `append`, every event is a JSON line appended to the file;
 * otherwise every event is a file of its own, `<path>-<YYYYMMDD-HHMMSS.ffffff>.json` (local time, as the
 * client names them), never overwriting another.
 */
export function fileTransport(settings: { path: string; append: boolean }): Transport {
  return {
    description: settings.append ? `file ${settings.path}` : `files ${settings.path}-<time>.json`,
    immediate: true,
    async send(event) {
      const line = `${JSON.stringify(event)}\n`;
      if (settings.append) {
        appendFileSync(settings.path, line);
        return;
      }
      for (;;) {
        try {
          writeFileSync(`${settings.path}-${timestamp(nextMicros())}.json`, line, { flag: 'wx' });
          return;
        } catch (error) {
          // Another process wrote a file of the same microsecond: the next one is free.
          if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
        }
      }
    },
  };
}

/** Microseconds since the epoch, strictly increasing within the process, so two events never share a file name. */
let lastMicros = 0;
function nextMicros(): number {
  lastMicros = Math.max(lastMicros + 1, Math.floor((performance.timeOrigin + performance.now()) * 1000));
  return lastMicros;
}

/** `YYYYMMDD-HHMMSS.ffffff` in local time, Python's `datetime.now().strftime("%Y%m%d-%H%M%S.%f")`. */
function timestamp(micros: number): string {
  const time = new Date(Math.floor(micros / 1000));
  const pad = (value: number, width = 2) => String(value).padStart(width, '0');
  const date = `${time.getFullYear()}${pad(time.getMonth() + 1)}${pad(time.getDate())}`;
  return `${date}-${pad(time.getHours())}${pad(time.getMinutes())}${pad(time.getSeconds())}.${pad(micros % 1_000_000, 6)}`;
}
