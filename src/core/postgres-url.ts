// Telling a PostgreSQL URL from a file path, and showing one without its password: a URL reaches messages, logs and
// the terminal, and a password must not.

/** Whether `target` is a PostgreSQL connection URL (postgres:// or postgresql://, in any case). */
export function isPostgresUrl(target: string): boolean {
  return /^postgres(ql)?:\/\//i.test(target);
}

/** The URL with its password replaced by ***; one the URL parser refuses keeps its shape with the password masked. */
export function postgresUrlWithoutPassword(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password !== '') parsed.password = '***';
    return parsed.toString();
  } catch {
    return url.replace(/\/\/([^:/@]*):[^@/]*@/, '//$1:***@');
  }
}
