// An execution named on the command line: its whole id, or enough of its start to be the only match, as git
// takes a short commit hash.
import type { ExecutionStore } from '../store.js';
import type { ExecutionWithSteps } from '../core/types.js';
import { CliError } from './cli-error.js';

const CANDIDATES_SHOWN = 10;

/** Enough of a uuid v7 to hold its whole millisecond timestamp; more only where two listed ids share it. */
export const SHORT_ID_LENGTH = 13;

export async function findExecution(store: ExecutionStore, idOrPrefix: string): Promise<ExecutionWithSteps> {
  const exact = await store.getExecutionWithSteps(idOrPrefix);
  if (exact !== null) return exact;
  const candidates = await store.findExecutionIds(idOrPrefix, CANDIDATES_SHOWN + 1);
  if (candidates.length === 0) {
    throw new CliError(`no execution has an id starting with "${idOrPrefix}". "execution-history list" shows the recent ones.`);
  }
  if (candidates.length > 1) {
    const more = candidates.length > CANDIDATES_SHOWN ? '\n  … and more' : '';
    throw new CliError(
      `"${idOrPrefix}" is the start of several execution ids; give more of it:\n${candidates
        .slice(0, CANDIDATES_SHOWN)
        .map((id) => `  ${id}`)
        .join('\n')}${more}`,
    );
  }
  const found = await store.getExecutionWithSteps(candidates[0] as string);
  if (found === null) throw new CliError(`execution ${candidates[0]} was deleted while it was being read; try again.`);
  return found;
}

/** The shortest prefix of each id, from `minimum` characters on, that no other id in the list shares. */
export function shortIds(ids: string[], minimum: number): string[] {
  return ids.map((id) => {
    let length = Math.min(minimum, id.length);
    while (length < id.length && ids.some((other) => other !== id && other.startsWith(id.slice(0, length)))) length++;
    return id.slice(0, length);
  });
}
