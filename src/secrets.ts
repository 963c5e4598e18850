/**
 * Knowing and hiding secrets.
 *
 * A connection string is shown by parsing it (WHATWG URL, with the rules by which `pg` reads a PostgreSQL
 * connection string, pg-connection-string) and printing its parts with the password and every secret
 * query parameter replaced by ***; a value that does not parse is not shown at all. Free text (error
 * messages, log lines, recorded errors) is redacted by replacing the exact secret values the loaded
 * configuration carries, in every form they can be written in. No pattern is ever guessed over text: a
 * password holding `@ / : % #`, or a login such as Azure's `user@server`, cannot slip past.
 */

export const MASK = '***';
export const UNPARSEABLE_URL = '<unparseable URL>';

/** Query parameters whose value is a credential (compared in lower case). */
const SECRET_PARAMETERS = new Set([
  'password', 'passwd', 'pwd', 'pass', 'sslpassword', 'access_token', 'token', 'secret', 'client_secret', 'api_key', 'apikey',
  'key', 'sig', 'signature', 'auth', 'authorization', 'x-amz-signature', 'x-amz-credential', 'x-amz-security-token', 'awsaccesskeyid',
]);

/** Whether a query parameter carries a secret: the names above, anything naming a password, secret or token, and HTTP headers (ClickHouse's http_header_*). */
export function isSecretParameter(name: string): boolean {
  const lower = name.toLowerCase();
  return SECRET_PARAMETERS.has(lower) || ['password', 'secret', 'token'].some((word) => lower.includes(word)) || lower.startsWith('http_header_');
}

/** Environment variables that are a secret as a whole: the AWS SDK's default credential chain reads the first two, the OpenLineage transport (src/openlineage/config.ts) the API keys. */
export const SECRET_ENVIRONMENT_VARIABLES = [
  'AWS_SECRET_ACCESS_KEY', 'AWS_SESSION_TOKEN',
  'OPENLINEAGE_API_KEY', 'OPENLINEAGE__TRANSPORT__AUTH__API_KEY', 'OPENLINEAGE__TRANSPORT__AUTH__APIKEY',
] as const;

/** Configuration variables whose value is a URL that may carry credentials: never echoed raw. */
export function holdsSecrets(variable: string): boolean {
  return variable.endsWith('_URL') || variable === 'MEDALLION_S3_ENDPOINT';
}

// ── Parsing ──────────────────────────────────────────────────────────────────────────────────────

function isHex(char: string | undefined): boolean {
  return char !== undefined && ((char >= '0' && char <= '9') || (char >= 'a' && char <= 'f') || (char >= 'A' && char <= 'F'));
}

function isDigit(char: string | undefined): boolean {
  return char !== undefined && char >= '0' && char <= '9';
}

/**
 * pg-connection-string's first step: a string holding a space or a `%` that starts no escape is passed
 * through encodeURI, after which the escapes `%` + two digits are restored.
 */
function pgReencoded(value: string): string | undefined {
  let needed = value.includes(' ');
  for (let i = value.indexOf('%'); !needed && i >= 0; i = value.indexOf('%', i + 1)) {
    const [first, second] = [value[i + 1], value[i + 2]];
    needed = (first !== undefined && !isHex(first)) || (isHex(first) && second !== undefined && !isHex(second));
  }
  if (!needed) return undefined;
  let encoded: string;
  try {
    encoded = encodeURI(value);
  } catch {
    return undefined; // a lone surrogate: pg cannot read it either
  }
  let restored = '';
  for (let i = 0; i < encoded.length; i += 1) {
    if (encoded.startsWith('%25', i) && isDigit(encoded[i + 3]) && isDigit(encoded[i + 4])) {
      restored += '%';
      i += 2;
    } else {
      restored += encoded[i];
    }
  }
  return restored;
}

function tryUrl(value: string): URL | undefined {
  try {
    return new URL(value);
  } catch {
    return undefined;
  }
}

/** Every reading of an absolute URL that WHATWG or pg-connection-string accepts (pg also allows an empty host: `user:pw@/db`). */
function readingsOf(value: string): URL[] {
  const candidates = [value, pgReencoded(value)].filter((candidate): candidate is string => candidate !== undefined);
  const urls: URL[] = [];
  for (const candidate of candidates) {
    const url = tryUrl(candidate) ?? tryUrl(candidate.replace('@/', '@___DUMMY___/'));
    if (url) urls.push(url);
  }
  return urls;
}

/** Where the authority (`[userinfo@]host[:port]`) ends: at the first `/ ? #` (or `\`) after `//`. */
function authorityBounds(value: string): { start: number; end: number } | undefined {
  const separator = value.indexOf('://');
  if (separator < 0) return undefined;
  const start = separator + 3;
  const ends = ['/', '?', '#', '\\'].map((char) => value.indexOf(char, start)).filter((index) => index >= 0);
  return { start, end: Math.min(...ends, value.length) };
}

/**
 * A value that parses, but not as its author meant: a `#` (nothing after it reaches a server), or an `@`
 * after the authority other than in a secret parameter's value. `http://u:Ch@nge/Me@host` reads as host
 * `nge` and path `/Me@host`, so the rest of the password would be printed, and sent, as a host and a path.
 */
function isAmbiguous(value: string): boolean {
  if (value.includes('#')) return true;
  const bounds = authorityBounds(value);
  if (!bounds) return false;
  const tail = value.slice(bounds.end);
  const query = tail.indexOf('?');
  if ((query < 0 ? tail : tail.slice(0, query)).includes('@')) return true;
  if (query < 0) return false;
  return tail
    .slice(query + 1)
    .split('&')
    .some((pair) => {
      const equals = pair.indexOf('=');
      const name = equals < 0 ? pair : pair.slice(0, equals);
      return name.includes('@') || (pair.includes('@') && !isSecretParameter(decodeLeniently(name)));
    });
}

/**
 * The URL as WHATWG reads it, else as pg-connection-string reads it; undefined when neither can, when it
 * has no `scheme://` (`etl:pw@db` would read as scheme `etl`, path `pw@db`), or when it is
 * {@link isAmbiguous}: then a login or password holds `@ / : ? #` unencoded.
 */
export function parseUrl(value: string): URL | undefined {
  if (!authorityBounds(value) || isAmbiguous(value)) return undefined;
  const url = readingsOf(value)[0];
  return url && value.slice(0, url.protocol.length + 2).toLowerCase() === `${url.protocol}//` ? url : undefined;
}

/** Decodes the %XX escapes that are valid UTF-8 and leaves anything else as written (never throws). */
function decodeLeniently(value: string): string {
  try {
    return decodeURIComponent(value);
  } catch {
    let decoded = '';
    for (let i = 0; i < value.length; i += 1) {
      if (value[i] === '%' && isHex(value[i + 1]) && isHex(value[i + 2])) {
        try {
          decoded += decodeURIComponent(value.slice(i, i + 3));
          i += 2;
          continue;
        } catch {
          // a byte of a multi-byte character on its own: kept as written
        }
      }
      decoded += value[i];
    }
    return decoded;
  }
}

/**
 * The password as written, by the WHATWG authority rule: the authority runs from `//` to the first
 * `/ ? #` (or `\`), its userinfo up to its last `@`, the password after the userinfo's first `:`.
 */
function writtenPassword(value: string): string | undefined {
  const bounds = authorityBounds(value);
  if (!bounds) return undefined;
  const authority = value.slice(bounds.start, bounds.end);
  const at = authority.lastIndexOf('@');
  if (at < 0) return undefined;
  const userinfo = authority.slice(0, at);
  const colon = userinfo.indexOf(':');
  return colon < 0 ? undefined : userinfo.slice(colon + 1);
}

/** What a value that no parser accepts may hide: everything between `://` and its last `@`, and the part after the first `:` of it. */
function unparsedCredentials(value: string): string[] {
  const start = value.indexOf('://');
  const at = value.lastIndexOf('@');
  if (start < 0 || at <= start + 3) return [];
  const userinfo = value.slice(start + 3, at);
  const colon = userinfo.indexOf(':');
  return colon < 0 ? [userinfo] : [userinfo, userinfo.slice(colon + 1)];
}

// ── Display ──────────────────────────────────────────────────────────────────────────────────────

function maskedSearch(url: URL): string {
  const entries = [...url.searchParams];
  if (entries.length === 0) return '';
  const masked = new URLSearchParams(entries.map(([name, value]): [string, string] => [name, isSecretParameter(name) ? MASK : value]));
  return `?${masked.toString()}`;
}

/**
 * A URL or connection string fit to print: scheme, login, host, port, path and the query, with the
 * password and every secret query parameter shown as ***, and no fragment. A value that cannot be parsed
 * is shown as `<unparseable URL>`, never as written.
 */
export function displayUrl(value: string): string {
  const url = parseUrl(value);
  if (!url) return UNPARSEABLE_URL;
  const host = url.host === '___DUMMY___' ? '' : url.host;
  const userinfo = url.username || url.password ? `${url.username}${url.password ? `:${MASK}` : ''}@` : '';
  const path = url.pathname === '/' && !url.search ? '' : url.pathname;
  const authority = url.href.startsWith(`${url.protocol}//`) ? `//${userinfo}${host}` : '';
  return `${url.protocol}${authority}${path}${maskedSearch(url)}`;
}

// ── Knowing the secrets ──────────────────────────────────────────────────────────────────────────

/** Python's quote(value, safe=''), as the Airflow DAG encodes logins and passwords. */
function quoteStrictly(value: string): string {
  let quoted = '';
  for (const char of encodeURIComponent(value)) quoted += "!'()*".includes(char) ? `%${char.charCodeAt(0).toString(16).toUpperCase()}` : char;
  return quoted;
}

/** As WHATWG URL writes a value into userinfo. */
function userinfoEncoded(value: string): string {
  const url = new URL('http://host');
  url.password = value;
  return url.password;
}

/** Every form a secret can be written in: as given, decoded, and encoded for a URL, a query string or JSON. */
export function formsOf(secret: string): string[] {
  const forms = new Set<string>();
  for (const base of new Set([secret, decodeLeniently(secret)])) {
    const encodings = [base, userinfoEncoded(base), new URLSearchParams({ v: base }).toString().slice(2), JSON.stringify(base).slice(1, -1)];
    try {
      encodings.push(encodeURIComponent(base), quoteStrictly(base));
    } catch {
      // a lone surrogate has no percent-encoding
    }
    for (const form of encodings) if (form) forms.add(form);
  }
  return [...forms];
}

/** Every secret a URL or connection string carries (password, secret query parameters), in every form. */
export function secretsOfUrl(value: string): string[] {
  const secrets = new Set<string>();
  const add = (secret: string | null | undefined) => {
    if (secret) for (const form of formsOf(secret)) secrets.add(form);
  };
  add(writtenPassword(value));
  // Secret query parameters as written (a literal `+`, `%` or `#` reads differently), to the end of the value.
  const query = value.indexOf('?');
  for (const pair of query < 0 ? [] : value.slice(query + 1).split('&')) {
    const equals = pair.indexOf('=');
    if (equals > 0 && isSecretParameter(decodeLeniently(pair.slice(0, equals)))) {
      add(pair.slice(equals + 1));
      add(pair.slice(equals + 1).split('#')[0]);
    }
  }
  // As the clients read them (pg and @clickhouse/client both read through WHATWG URL).
  for (const url of readingsOf(value)) {
    add(url.password);
    for (const [name, parameter] of url.searchParams) if (isSecretParameter(name)) add(parameter);
    // A fragment has no place in a connection string: what follows a `#` is a cut-off password or parameter.
    add(url.hash.slice(1));
  }
  if (!parseUrl(value)) for (const part of unparsedCredentials(value)) add(part);
  return [...secrets];
}

/** Every secret the environment holds: URL credentials of the MEDALLION_ and OPENLINEAGE_ URLs, the AWS SDK's secret keys and OpenLineage's API key. */
export function secretsOfEnvironment(env: Record<string, string | undefined>): string[] {
  const secrets: string[] = [];
  for (const [name, value] of Object.entries(env)) {
    if (!value) continue;
    if ((name.startsWith('MEDALLION_') || name.startsWith('OPENLINEAGE_')) && holdsSecrets(name)) secrets.push(...secretsOfUrl(value));
    if ((SECRET_ENVIRONMENT_VARIABLES as readonly string[]).includes(name)) secrets.push(...formsOf(value));
  }
  return secrets;
}

// ── Redacting text ───────────────────────────────────────────────────────────────────────────────

/** Replaces every occurrence of the given secrets by ***, longest first so no tail of a secret survives. */
export function createRedactor(secrets: Iterable<string>): (text: string) => string {
  const known = [...new Set(secrets)].filter((secret) => secret.length > 0).sort((a, b) => b.length - a.length);
  return (text) => {
    let redacted = text;
    for (const secret of known) if (redacted.includes(secret)) redacted = redacted.split(secret).join(MASK);
    return redacted;
  };
}

const LETTERS = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ';
const SCHEME_CHARS = `${LETTERS}0123456789+-.`;
const TRAILING_PUNCTUATION = ')]}>"\'`,;.';

/**
 * Shows every URL of a text that carries a password or secret parameter (secrets not registered, e.g. an
 * address a library put into its message) as {@link displayUrl} does; a URL-like word with an `@` that
 * cannot be parsed is replaced whole. Words are split at whitespace.
 */
function maskUrlsIn(text: string): string {
  if (!text.includes('://')) return text;
  let result = '';
  let word = '';
  const flush = () => {
    result += maskUrlWord(word);
    word = '';
  };
  for (const char of text) {
    if (char.trim() === '') {
      flush();
      result += char;
    } else {
      word += char;
    }
  }
  flush();
  return result;
}

function maskUrlWord(word: string): string {
  const separator = word.indexOf('://');
  if (separator < 0) return word;
  let start = separator;
  while (start > 0 && SCHEME_CHARS.includes(word[start - 1]!)) start -= 1;
  while (start < separator && !LETTERS.includes(word[start]!)) start += 1;
  if (start === separator) return word;
  let end = word.length;
  while (end > separator + 3 && TRAILING_PUNCTUATION.includes(word[end - 1]!)) end -= 1;
  const candidate = word.slice(start, end);
  const url = parseUrl(candidate);
  if (!url) return candidate.includes('@') ? `${word.slice(0, start)}${UNPARSEABLE_URL}${word.slice(end)}` : word;
  const carriesSecret = (url.password !== '' && url.password !== MASK) || [...url.searchParams].some(([name, value]) => isSecretParameter(name) && value !== MASK);
  return carriesSecret ? `${word.slice(0, start)}${displayUrl(candidate)}${word.slice(end)}` : word;
}

const registered = new Set<string>();
let redactRegistered = createRedactor(registered);

/** Remembers secrets for {@link maskSecrets} for the life of the process (loadConfig registers the configuration's). */
export function registerSecrets(secrets: Iterable<string>): void {
  const before = registered.size;
  for (const secret of secrets) if (secret) registered.add(secret);
  if (registered.size !== before) redactRegistered = createRedactor(registered);
}

/**
 * Text fit to print or store: every registered secret, in every form, replaced by ***; then any URL that
 * still carries a password or secret parameter shown masked. Every message that leaves the program
 * (stderr, stdout, catalog.pipeline_runs.error, catalog.benchmark_log.error) passes through here.
 */
export function maskSecrets(text: string): string {
  return maskUrlsIn(redactRegistered(text));
}
