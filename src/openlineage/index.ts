/**
 * OpenLineage events of every task attempt and every window run (spec 2-0-x): what the runner calls.
 * Off unless configured (src/openlineage/config.ts); see the README's OpenLineage section.
 */
export { startAttemptEvents, type AttemptEvents } from './task-events.js';
export { startWindowEvents, type WindowEvents } from './window-events.js';
export { flushOpenLineage } from './emitter.js';
