/**
 * @module load/active
 * Counts a closed model's virtual user as active while its loop runs.
 */
import type { ExecutorContext } from './executor.js';

/** Marks a VU active until `user` (its loop) ends, however it ends. */
export async function activeWhile(ctx: ExecutorContext, user: Promise<void>): Promise<void> {
  ctx.vuActive?.(1);
  try {
    await user;
  } finally {
    ctx.vuActive?.(-1);
  }
}
