import { handleCommand, type CommandOutcome } from '@cadre/eventstore';
import { ConflictError, type EventEnvelope } from '@cadre/proto';
import type { MemoryContext } from '../context';
import { memoryDecider, memoryStream, type MemoryCommand, type MemoryResult, type MemoryState } from './decider';
import { MEMORY_COLUMNS, type MemoryRow } from './present';
import { inTransaction, writeMemoryEvent } from './rows';

/** The current row of a memory (a tombstone included), or undefined. */
export async function loadMemoryRow(ctx: Pick<MemoryContext, 'pool' | 'schema'>, id: string): Promise<MemoryRow | undefined> {
  const { rows } = await ctx.pool.query<MemoryRow>(`select ${MEMORY_COLUMNS} from "${ctx.schema}".memories where id = $1`, [id]);
  return rows[0];
}

/** Writes the appended memory events into the table before the command replies (read-your-writes). */
export async function writeAppended(ctx: Pick<MemoryContext, 'pool' | 'schema'>, appended: readonly EventEnvelope[]): Promise<void> {
  if (appended.length === 0) return;
  await inTransaction(ctx.pool, async (execute) => {
    for (const event of appended) await writeMemoryEvent(execute, ctx.schema, event);
  });
}

export interface MemoryCommandOptions {
  readonly owner: string | undefined;
  readonly meta: { correlationId?: string; actor?: string };
  /** Embed the memory before replying (default); an import leaves it to the background embedder, which batches. */
  readonly embedNow?: boolean;
}

/**
 * Runs one memory command: decided on the stream, the row written before replying, and — with
 * an embedding provider — the memory embedded at once (a failure there is left to the
 * background embedder). A memory id already taken by another user is a conflict.
 */
export async function runMemoryCommand(
  ctx: MemoryContext, command: MemoryCommand, options: MemoryCommandOptions,
): Promise<CommandOutcome<MemoryState, MemoryResult, MemoryCommand>> {
  const existing = await loadMemoryRow(ctx, command.memoryId);
  if (command.kind === 'save' && existing !== undefined && !existing.deleted && existing.owner !== (options.owner ?? null) && options.owner !== undefined) {
    throw new ConflictError(`memory id '${command.memoryId}' is taken`);
  }
  return handleCommand(ctx.store, memoryDecider, {
    stream: memoryStream(command.memoryId),
    command,
    meta: options.meta,
    subjectScope: command.agentId,
    // A live memory keeps its owner; a new one, or one saved again after its deletion, is the writer's.
    owner: () => (existing !== undefined && !existing.deleted ? existing.owner ?? undefined : options.owner),
    reactions: [
      // Nothing new, but no row either: the writer before died between its append and the row
      // (a replica killed mid-import). Write the row from the stream now; the rows are version-guarded.
      (outcome) => writeAppended(ctx, outcome.appended.length > 0 || existing !== undefined ? outcome.appended : outcome.history),
      async (outcome) => {
        if (options.embedNow === false || outcome.appended.length === 0 || command.kind === 'delete') return;
        const embeddings = await ctx.embeddings();
        await embeddings?.memories.embedder.embedNow([command.memoryId]).catch((err: unknown) => {
          ctx.logger.warn({ err, memoryId: command.memoryId }, 'memory not embedded yet; the background embedder will');
        });
      },
    ],
  });
}
