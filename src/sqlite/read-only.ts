// A look into the database file that can change nothing: what an inspection reads (src/sqlite/inspection.ts) without opening the store
// (opening the store applies migrations).
import Database from 'better-sqlite3';

export function readOnly<T>(file: string, read: (sqlite: Database.Database) => T): T {
  const sqlite = new Database(file, { readonly: true, fileMustExist: true });
  try {
    return read(sqlite);
  } finally {
    sqlite.close();
  }
}
