import { readFileSync } from 'node:fs';

const cache = new Map<string, string>();

/**
 * Reads a statement from the `sql/` folder beside the repository that runs it.
 * `{{name}}` placeholders take identifiers from validated configuration only; values are always bound
 * as query parameters ({name:Type} for ClickHouse, $n for PostgreSQL).
 */
export function sqlFile(moduleUrl: string, name: string, identifiers: Record<string, string> = {}): string {
  const url = new URL(`./sql/${name}.sql`, moduleUrl);
  let text = cache.get(url.href);
  if (text === undefined) {
    text = readFileSync(url, 'utf8');
    cache.set(url.href, text);
  }
  return text.replace(/\{\{(\w+)\}\}/g, (_, key: string) => {
    const value = identifiers[key];
    if (value === undefined || !/^[a-z_][a-z0-9_]*$/.test(value)) throw new Error(`SQL ${name}: no valid identifier for {{${key}}}`);
    return value;
  });
}

/** Splits a file of several DDL statements at `;` line ends (our DDL has no `;` inside literals). */
export function statements(text: string): string[] {
  return text
    .split(/;\s*\n/)
    .map((statement) => statement.trim().replace(/;$/, ''))
    .filter((statement) => statement.replace(/--.*$/gm, '').trim().length > 0);
}

/** Runs every statement of a DDL file in order (each is idempotent: IF NOT EXISTS). */
export async function runScript(execute: (statement: string) => Promise<unknown>, text: string): Promise<void> {
  for (const statement of statements(text)) await execute(statement);
}
