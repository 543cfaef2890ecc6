// What the global setup hands the test workers about PostgreSQL (through vitest's provide/inject, so it must be
// plain, serializable data).

export type ProvidedPostgres =
  | {
      available: true;
      /** A URL on the server for CREATE/DROP DATABASE: the throwaway server's superuser, or the given URL. */
      adminUrl: string;
      /** The migrated database that test databases are cloned from. */
      templateDatabase: string;
      /** Every database this run makes starts with it, so a run on a shared server can find and drop its own. */
      databasePrefix: string;
    }
  | { available: false; skipReason: string };

declare module 'vitest' {
  export interface ProvidedContext {
    postgres: ProvidedPostgres;
  }
}
