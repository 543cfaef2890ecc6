// PostgreSQL refuses to run as root, and CI and the developers' machines run as root: there the server programs
// run as the postgres user, which Debian's package creates. Anyone else runs them as themselves.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

const execFileAsync = promisify(execFile);

const SERVER_USER = 'postgres';

/** The command line that runs a program as the server's user. */
export function asServerUser(program: string, args: readonly string[]): [string, string[]] {
  return process.getuid?.() === 0 ? ['runuser', ['-u', SERVER_USER, '--', program, ...args]] : [program, [...args]];
}

/** Runs a program as the server's user and returns its standard output; a failure's message carries its stderr. */
export async function runAsServerUser(program: string, args: readonly string[]): Promise<string> {
  const [file, fileArgs] = asServerUser(program, args);
  try {
    const { stdout } = await execFileAsync(file, fileArgs, { encoding: 'utf8' });
    return stdout;
  } catch (error) {
    const stderr = (error as { stderr?: string }).stderr?.trim();
    throw new Error(`${[file, ...fileArgs].join(' ')} failed${stderr ? `: ${stderr}` : ''}`, { cause: error });
  }
}
