import { InvalidArgumentError } from 'commander';
import { PIPELINE } from '../pipeline/graph.js';
import { isTaskId, type TaskId } from '../task-ids.js';

/**
 * The command line's argument parsers. What they refuse is a usage error: one line naming the value, exit 2
 * (commander reports an InvalidArgumentError thrown while parsing; an action reports a {@link UsageError}).
 */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

/**
 * The start of an hourly window: an ISO-8601 time (UTC unless it says otherwise) on a whole UTC hour.
 * A time inside an hour is refused rather than floored: `--from 10:30` running the 10:00 window silently
 * would process half an hour the user did not ask for.
 */
export function parseHour(value: string): Date {
  const time = new Date(/[zZ]|[+-]\d\d:?\d\d$/.test(value) ? value : `${value}Z`);
  if (Number.isNaN(time.getTime())) throw new InvalidArgumentError(`"${value}" is not an ISO-8601 time (e.g. 2026-11-23T10:00Z)`);
  if (time.getTime() % 3_600_000 !== 0) {
    const hour = new Date(Math.floor(time.getTime() / 3_600_000) * 3_600_000).toISOString().replace(':00.000Z', 'Z');
    throw new InvalidArgumentError(`"${value}" is not the start of an hour: windows are whole UTC hours (the hour holding it starts at ${hour})`);
  }
  return time;
}

export function parsePositiveInt(value: string): number {
  const number = Number(value);
  if (!Number.isInteger(number) || number <= 0) throw new InvalidArgumentError(`"${value}" is not a positive whole number`);
  return number;
}

export function parseNonNegativeInt(value: string): number {
  const number = Number(value);
  if (!Number.isInteger(number) || number < 0) throw new InvalidArgumentError(`"${value}" is not a whole number`);
  return number;
}

export function parseTaskId(value: string): TaskId {
  if (!isTaskId(value)) throw new InvalidArgumentError(`Unknown task "${value}". Tasks: ${PIPELINE.map((task) => task.id).join(', ')}`);
  return value;
}
