import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import pg from 'pg';
import { ConfigError, describeTargets, loadConfig } from '../src/config.js';
import { createRedactor, displayUrl, isSecretParameter, maskSecrets, parseUrl, secretsOfEnvironment, secretsOfUrl, UNPARSEABLE_URL } from '../src/secrets.js';
import { CORPUS, formsOf, leaksIn, type SecretCase } from './secrets-corpus.js';

const urlCases = CORPUS.filter((testCase): testCase is SecretCase & { url: string } => testCase.url !== undefined);

/** A log line or error message that embeds the URL and the secrets, as a library might write them. */
const textAbout = (testCase: SecretCase) =>
  [
    ...(testCase.url ? [`connecting to ${testCase.url} failed;`, `url=${JSON.stringify(testCase.url)}`] : []),
    ...testCase.secrets.flatMap((secret) => formsOf(secret).map((form) => `rejected credential "${form}" (${form})`)),
  ].join(' ');

describe('secrets: the corpus', () => {
  it('holds at least 12 connection strings with passwords, of every shape the issue names', () => {
    assert.ok(urlCases.length >= 12, `${urlCases.length} URLs`);
    const urls = urlCases.map((testCase) => testCase.url);
    for (const shape of ['postgres://', 'postgresql://', 'http://', 'https://']) assert.ok(urls.some((url) => url.startsWith(shape)), shape);
    assert.ok(urls.some((url) => url.includes('?') && url.includes('password=')), '?password=');
    assert.ok(urls.some((url) => url.includes('%40')), 'percent-encoded');
    assert.ok(CORPUS.some((testCase) => testCase.env.AWS_SECRET_ACCESS_KEY?.includes('Zq')), 'S3 keys');
  });
});

describe('secrets: showing a URL', () => {
  for (const testCase of urlCases) {
    it(`${testCase.name}: shown parsed, with no form of the secret`, () => {
      const shown = displayUrl(testCase.url);
      assert.equal(shown, testCase.display ?? UNPARSEABLE_URL);
      assert.deepEqual(leaksIn(shown, testCase), []);
    });
  }

  it('keeps what is not secret: login, host, port, database and the other parameters', () => {
    assert.equal(displayUrl('postgres://bi:hunter2@db:5432/x'), 'postgres://bi:***@db:5432/x');
    assert.equal(displayUrl('postgresql://etl@db/analytics?sslmode=require&application_name=bi'), 'postgresql://etl@db/analytics?sslmode=require&application_name=bi');
    assert.equal(displayUrl('https://etl:s3cret@ch.example.com:8443'), 'https://etl:***@ch.example.com:8443');
    assert.equal(displayUrl('http://default@ch:8123/?http_header_X-Api-Key=k3y&session_id=abc'), 'http://default@ch:8123/?http_header_X-Api-Key=***&session_id=abc');
  });

  it('shows nothing of a value that does not parse, or parses other than as written', () => {
    for (const value of ['not a url', 'etl:pw@db/x', 'postgres://bi:a/b@db/x', 'db.example.com:5432', 'http://u:1?x@host', 'postgres://bi@db/x?password=ab#cd']) {
      assert.equal(displayUrl(value), UNPARSEABLE_URL, value);
    }
    // `http://u:Ch@nge/Me@host` parses as host `nge`, path `/Me@host`: the rest of the password would show.
    assert.equal(parseUrl('http://u:Ch@nge/Me@host'), undefined);
    assert.ok(parseUrl('postgres://bi@db/x?password=p@ss'), 'an @ inside a password parameter is the parameter');
  });

  it('reads PostgreSQL connection strings as pg does: the password pg sends is one the redactor knows', () => {
    for (const testCase of urlCases.filter((candidate) => candidate.target === 'postgres' && candidate.accepted)) {
      const password = new pg.Client({ connectionString: testCase.url }).password;
      assert.ok(password, testCase.name);
      assert.ok(testCase.secrets.includes(password), `${testCase.name}: pg reads ${JSON.stringify(password)}`);
      assert.ok(secretsOfUrl(testCase.url).includes(password), testCase.name);
    }
  });

  it('names the parameters that carry secrets', () => {
    for (const name of ['password', 'PASSWORD', 'sslpassword', 'access_token', 'token', 'secret', 'X-Amz-Signature', 'X-Amz-Credential', 'X-Amz-Security-Token', 'http_header_Authorization', 'client_secret']) {
      assert.ok(isSecretParameter(name), name);
    }
    for (const name of ['sslmode', 'application_name', 'user', 'X-Amz-Algorithm', 'session_id', 'sslrootcert']) assert.ok(!isSecretParameter(name), name);
  });
});

describe('secrets: redacting text', () => {
  for (const testCase of CORPUS) {
    it(`${testCase.name}: the redactor built from the configuration removes every form from text`, () => {
      const redact = createRedactor(secretsOfEnvironment(testCase.env));
      const text = textAbout(testCase);
      assert.notDeepEqual(leaksIn(text, testCase), [], 'the text holds the secret before redaction');
      const redacted = redact(text);
      assert.deepEqual(leaksIn(redacted, testCase), []);
      assert.match(redacted, /\*\*\*/);
    });
  }

  it('replaces the longest secret first, so no tail of a secret survives', () => {
    assert.equal(createRedactor(['abc', 'abcdef'])('x abcdef y abc'), 'x *** y ***');
  });

  it('masks a URL with a password even when its secret was never registered', () => {
    assert.equal(maskSecrets('connect postgres://bi:hunter2@db:5432/x failed'), 'connect postgres://bi:***@db:5432/x failed');
    assert.equal(maskSecrets('(url "https://etl:pw-9@ch:8443/?access_token=t0k")'), '(url "https://etl:***@ch:8443/?access_token=***")');
    assert.equal(maskSecrets('bad: postgres://bi:a/b@db/x.'), `bad: ${UNPARSEABLE_URL}.`);
    assert.equal(maskSecrets('no secret in s3://bucket/prefix or https://example.com/docs#x'), 'no secret in s3://bucket/prefix or https://example.com/docs#x');
  });
});

describe('secrets: loading the configuration', () => {
  for (const testCase of CORPUS) {
    it(`${testCase.name}: ${testCase.accepted ? 'describeTargets and maskSecrets show no form of it' : 'refused, naming the variable, echoing nothing of it'}`, () => {
      const env = { MEDALLION_HOME: '/tmp/medallion-secrets-unit', ...testCase.env };
      if (testCase.accepted) {
        // loadConfig reads the AWS keys from process.env, where the AWS SDK reads them.
        const saved = { ...process.env };
        Object.assign(process.env, env);
        try {
          const printed = JSON.stringify(describeTargets(loadConfig(env)));
          assert.deepEqual(leaksIn(printed, testCase), []);
          if (testCase.display) assert.ok(printed.includes(testCase.display), printed);
        } finally {
          for (const name of Object.keys(env)) if (!(name in saved)) delete process.env[name];
          Object.assign(process.env, saved);
        }
      } else {
        const variable = Object.keys(testCase.env)[0]!;
        assert.throws(
          () => loadConfig(env),
          (error: unknown) => error instanceof ConfigError && error.variable === variable && error.message.includes(`(got "${UNPARSEABLE_URL}")`) && leaksIn(error.message, testCase).length === 0,
        );
      }
      // Registered by loadConfig: from now on every text of this process is redacted.
      assert.deepEqual(leaksIn(maskSecrets(textAbout(testCase)), testCase), []);
    });
  }

  it('an invalid URL is echoed parsed and masked', () => {
    assert.throws(
      () => loadConfig({ MEDALLION_POSTGRES_URL: 'mysql://bi:hunter2@db/x' }),
      (error: unknown) => error instanceof ConfigError && error.message.includes('(got "mysql://bi:***@db/x")') && !error.message.includes('hunter2'),
    );
  });
});
