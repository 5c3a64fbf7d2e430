import { defineErrorCode } from '../errors';

// Codes of the projects domain: each answers with its kind's status (409, 422) and says why.

/** A dependency would close a cycle; details name the task keys on it. */
export const DEPENDENCY_CYCLE = defineErrorCode('dependency_cycle', { kind: 'conflict' });
/** Someone else holds the task's claim; details name the holder and when it expires. */
export const TASK_CLAIMED = defineErrorCode('task_claimed', { kind: 'conflict' });
/** The task has no claim to release, or not the caller's. */
export const TASK_NOT_CLAIMED = defineErrorCode('task_not_claimed', { kind: 'conflict' });
/** The workflow does not allow the move; details list the allowed ones. */
export const TRANSITION_NOT_ALLOWED = defineErrorCode('transition_not_allowed', { kind: 'conflict' });
/** The project is archived: it can be read and brought back, not changed. */
export const PROJECT_ARCHIVED = defineErrorCode('project_archived', { kind: 'conflict' });
/** A run of the task started from the board has not finished. */
export const TASK_RUNNING = defineErrorCode('task_running', { kind: 'conflict' });
/** An Idempotency-Key was used before with a different request. */
export const IDEMPOTENCY_KEY_REUSED = defineErrorCode('idempotency_key_reused', { kind: 'unprocessable' });
/** The swarms service is not deployed: nothing answers its execute command. */
export const SWARMS_NOT_DEPLOYED = defineErrorCode('swarms_not_deployed', { kind: 'unavailable' });
