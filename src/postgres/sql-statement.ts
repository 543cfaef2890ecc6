// One hand-written statement assembled from parts: common table expressions added one after another, each taking
// its parameters as it goes. A write sends its rows and every rollup they change as one such statement (data-
// modifying CTEs), because on a server each round trip costs more than the rows it carries.
export class SqlStatement {
  readonly values: unknown[] = [];
  private readonly ctes: string[] = [];

  /** A parameter's placeholder with its type, e.g. `$3::int8[]`. */
  param(value: unknown, type: string): string {
    this.values.push(value);
    return `$${this.values.length}::${type}`;
  }

  /** Adds `name AS (body)`; later parts may read it by name. */
  with(name: string, body: string): void {
    this.ctes.push(`${name} AS (${body})`);
  }

  get hasParts(): boolean {
    return this.ctes.length > 0;
  }

  /** The whole statement, ending with `select`. */
  text(select: string): string {
    return this.ctes.length === 0 ? select : `WITH ${this.ctes.join(',\n')}\n${select}`;
  }
}
