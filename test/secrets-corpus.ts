/**
 * Connection strings and keys with secrets in every awkward shape: logins such as Azure's `user@server`,
 * `@ / : % # ?` and spaces in passwords, percent-encoded passwords, passwords in the query string,
 * ClickHouse URLs, S3 keys. Shared by test/secrets.test.ts (parsing and redaction) and
 * test/secrets-cli.test.ts (the real CLI, the catalog and the lake).
 *
 * Every secret holds a marker `Zq<nn>` and its pieces between special characters are distinctive, so
 * a test can look for a partial leak (`***@dor`) as well as for the whole secret.
 */

import type { Warehouse } from '../src/engines/index.js';

/** A closed loopback port: a connection is refused at once. */
export const CLOSED_PORT = 1;

export interface SecretCase {
  name: string;
  /** The environment that configures it (on top of a fresh MEDALLION_HOME). */
  env: Record<string, string>;
  /** The URL under test, when the case is a URL (what is displayed and embedded in text). */
  url?: string;
  /** The secrets as their author means them (decoded). */
  secrets: string[];
  /** How the URL is displayed; undefined when not a URL. */
  display?: string;
  /** Whether the configuration accepts it; refused values stop with exit 2 and the variable named. */
  accepted: boolean;
  /** Where the run fails: the engine the URL points at (unreachable), or nowhere. */
  target: 'postgres' | 'clickhouse' | 's3' | 'none';
}

const pg = (url: string) => ({ MEDALLION_POSTGRES_URL: url });
const ch = (url: string) => ({ MEDALLION_CLICKHOUSE_URL: url });
const s3 = (endpoint: string, keys: Record<string, string> = {}) => ({
  MEDALLION_LAKE_URL: 's3://medallion-lake/gold',
  MEDALLION_S3_ENDPOINT: endpoint,
  AWS_ACCESS_KEY_ID: 'AKIAZQEXAMPLEKEYID',
  AWS_SECRET_ACCESS_KEY: 'Not-A-Secret-Of-This-Case',
  ...keys,
});
const at = `127.0.0.1:${CLOSED_PORT}`;

function urlCase(name: string, variable: (url: string) => Record<string, string>, url: string, secrets: string[], display: string | undefined, target: SecretCase['target']): SecretCase {
  return { name, env: variable(url), url, secrets, ...(display ? { display } : {}), accepted: display !== undefined, target };
}

export const CORPUS: readonly SecretCase[] = [
  urlCase('PostgreSQL, Azure-style login user@server', pg, `postgres://etl@myserver:SECRETpw-Zq01@${at}/db`, ['SECRETpw-Zq01'], `postgres://etl%40myserver:***@${at}/db`, 'postgres'),
  urlCase('PostgreSQL, @ in the password', pg, `postgres://bi:Tr0ub@dor-Zq02@${at}/db`, ['Tr0ub@dor-Zq02'], `postgres://bi:***@${at}/db`, 'postgres'),
  urlCase('PostgreSQL, / in the password, not encoded (refused)', pg, `postgresql://bi:Sl4sh/ed-Zq03@${at}/db`, ['Sl4sh/ed-Zq03'], undefined, 'postgres'),
  urlCase('PostgreSQL, : in the password', pg, `postgres://bi:C0l0n:P4ss:Zq04@${at}/db`, ['C0l0n:P4ss:Zq04'], `postgres://bi:***@${at}/db`, 'postgres'),
  urlCase('PostgreSQL, % in the password, not encoded', pg, `postgres://bi:100%pure-Zq05@${at}/db`, ['100%pure-Zq05'], `postgres://bi:***@${at}/db`, 'postgres'),
  urlCase('PostgreSQL, # in the password, not encoded (refused)', pg, `postgres://bi:H4sh#tag-Zq06@${at}/db`, ['H4sh#tag-Zq06'], undefined, 'postgres'),
  urlCase('PostgreSQL, percent-encoded @ / : # %', pg, `postgres://bi:Pr1v%40te%2FKey%3AW0rd%23Zq07%25@${at}/db`, ['Pr1v@te/Key:W0rd#Zq07%'], `postgres://bi:***@${at}/db`, 'postgres'),
  urlCase('PostgreSQL, ?password= in the query string', pg, `postgres://etl@${at}/db?sslmode=disable&password=Qu3ry%26Pw%3D-Zq08`, ['Qu3ry&Pw=-Zq08'], `postgres://etl@${at}/db?sslmode=disable&password=***`, 'postgres'),
  urlCase('PostgreSQL, encoded user@server login, space and ? in the password', pg, `postgresql://etl%40azure-srv:Spaced%20Out%3FPw-Zq09@${at}/db`, ['Spaced Out?Pw-Zq09'], `postgresql://etl%40azure-srv:***@${at}/db`, 'postgres'),
  urlCase('PostgreSQL, unencoded space in the password', pg, `postgres://bi:Two Words-Zq10@${at}/db`, ['Two Words-Zq10'], `postgres://bi:***@${at}/db`, 'postgres'),
  urlCase('ClickHouse over HTTP, @ and / in the password, not encoded (refused)', ch, `http://medallion:Ch@ngeMx/Zq11@${at}`, ['Ch@ngeMx/Zq11'], undefined, 'clickhouse'),
  urlCase('ClickHouse over HTTPS, user@server login, encoded ? and # in the password', ch, `https://etl@corp:Wh4t%3F%23Pw-Zq12@${at}`, ['Wh4t?#Pw-Zq12'], `https://etl%40corp:***@${at}`, 'clickhouse'),
  urlCase('ClickHouse, access_token in the query string', ch, `http://${at}/?access_token=eyJhbGciOiJIUzI1NiJ9.T0ken-Zq13.S1gn`, ['eyJhbGciOiJIUzI1NiJ9.T0ken-Zq13.S1gn'], `http://${at}/?access_token=***`, 'clickhouse'),
  urlCase('S3 endpoint with keys in the login', (url) => s3(url), `http://AKIAZQ14EXAMPLE:wJalrXUtnFEMI%2FK7MDENG%2BbPx-Zq14@${at}`, ['wJalrXUtnFEMI/K7MDENG+bPx-Zq14'], `http://AKIAZQ14EXAMPLE:***@${at}`, 's3'),
  urlCase(
    'S3 endpoint with a presigned query (X-Amz-Credential, X-Amz-Signature, X-Amz-Security-Token)',
    (url) => s3(url),
    `http://${at}/?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIAZQ15EXAMPLE%2FZq15day%2Fzq15-region%2Fs3%2Faws4_request&X-Amz-Signature=5ign4ture0fZq15&X-Amz-Security-Token=FwoGZXIvYXdzEZq15%2BT0k%2Fen%3D`,
    ['AKIAZQ15EXAMPLE/Zq15day/zq15-region/s3/aws4_request', '5ign4ture0fZq15', 'FwoGZXIvYXdzEZq15+T0k/en='],
    `http://${at}/?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=***&X-Amz-Signature=***&X-Amz-Security-Token=***`,
    's3',
  ),
  {
    name: 'AWS secret key and session token in the environment, S3 lake unreachable',
    env: s3(`http://${at}`, { AWS_SECRET_ACCESS_KEY: 'wJalr/XUtn+FEMI=K7MDENG-Zq16', AWS_SESSION_TOKEN: 'IQoJb3JpZ2luX2Vj/Zq16+Sess10n=Tok' }),
    secrets: ['wJalr/XUtn+FEMI=K7MDENG-Zq16', 'IQoJb3JpZ2luX2Vj/Zq16+Sess10n=Tok'],
    accepted: true,
    target: 's3',
  },
  {
    name: 'AWS secret key in the environment, lake in a directory (the run succeeds)',
    env: { AWS_ACCESS_KEY_ID: 'AKIAZQEXAMPLEKEYID', AWS_SECRET_ACCESS_KEY: 'Dir3ctory/L4ke+Key=Zq17' },
    secrets: ['Dir3ctory/L4ke+Key=Zq17'],
    accepted: true,
    target: 'none',
  },
];

/** Python's quote(value, safe=''), as the Airflow DAG encodes passwords. */
const quoteStrictly = (value: string) => encodeURIComponent(value).replace(/[!'()*]/g, (char) => `%${char.charCodeAt(0).toString(16).toUpperCase()}`);

/** As WHATWG URL writes a password into a URL. */
function userinfoEncoded(value: string): string {
  const url = new URL('http://host');
  url.password = value;
  return url.password;
}

/** Every form in which a secret could be printed: as is, percent-encoded (three ways), form-encoded, JSON-escaped. */
export function formsOf(secret: string): string[] {
  return [...new Set([secret, encodeURIComponent(secret), quoteStrictly(secret), userinfoEncoded(secret), new URLSearchParams({ v: secret }).toString().slice(2), JSON.stringify(secret).slice(1, -1)])];
}

/** The pieces of a secret between special characters, 4 characters or more: a partial leak shows one. */
export function piecesOf(secret: string): string[] {
  const pieces: string[] = [];
  let piece = '';
  for (const char of `${secret} `) {
    if ('@/:%#?&=+ '.includes(char)) {
      if (piece.length >= 4) pieces.push(piece);
      piece = '';
    } else {
      piece += char;
    }
  }
  return pieces;
}

/** What of a case must appear nowhere: every form of every secret, and every piece (compared ignoring case). */
export function leaksIn(text: string, testCase: SecretCase): string[] {
  const lower = text.toLowerCase();
  const needles = testCase.secrets.flatMap((secret) => [...formsOf(secret), ...piecesOf(secret)]);
  return [...new Set(needles)].filter((needle) => lower.includes(needle.toLowerCase()));
}

export interface CatalogStrings {
  columns: number;
  values: { column: string; value: string }[];
}

/**
 * Every distinct value of every String, LowCardinality(String), Nullable(String), Array or Map column of
 * every table of database `catalog`, the columns found in system.columns (not a hand list).
 */
export async function catalogStrings(clickhouse: Warehouse): Promise<CatalogStrings> {
  const columns = await clickhouse.rows<{ table: string; name: string }>(
    "SELECT table, name FROM system.columns WHERE database = 'catalog' AND (type LIKE '%String%' OR type LIKE 'Map(%' OR type LIKE 'Array(%') ORDER BY table, name",
  );
  const values: CatalogStrings['values'] = [];
  for (const { table, name } of columns) {
    const rows = await clickhouse.rows<{ value: string }>(`SELECT DISTINCT toString(\`${name}\`) AS value FROM catalog.\`${table}\``);
    for (const row of rows) values.push({ column: `catalog.${table}.${name}`, value: row.value });
  }
  return { columns: columns.length, values };
}
