/**
 * The `connection` option of the PostgreSQL sink and lookup, checked when the job is built: a
 * string that is no connection string is refused (pg read it as a host name, and the job failed
 * over forever on the "connection failure"); URLs, socket directories and objects pass.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { postgresLookup, postgresSink } from '../../index.ts';

const sink = (connection: unknown) => postgresSink({ connection: connection as never, table: 't', columns: ['a'] });
const lookup = (connection: unknown) => postgresLookup({ connection: connection as never, query: 'SELECT 1', params: () => [] });

test('a connection that is no connection string is refused with WEIR_INVALID_ARGUMENT, the password hidden', () => {
  for (const make of [sink, lookup]) {
    for (const bad of ['not a url', 'localhost:5432/db', 'mysql://u@h/db']) {
      assert.throws(() => make(bad), { code: 'WEIR_INVALID_ARGUMENT', message: /is not a connection string: expected postgres:\/\/user:password@host:port\/database/ }, bad);
    }
    assert.throws(() => make('pg://user:s3cret@host/db'), (e: Error) => !e.message.includes('s3cret') && /pg:\/\/user:\*\*\*@host\/db/.test(e.message));
    assert.throws(() => make(42), { code: 'WEIR_INVALID_ARGUMENT', message: /connection must be a connection string or \{ host, port, user, password, database \}/ });
  }
});

test('connection URLs, Unix socket directories and objects are accepted', () => {
  for (const make of [sink, lookup]) {
    for (const ok of ['postgres://u:p@127.0.0.1:5432/db', 'postgresql://localhost/db?sslmode=disable', '/var/run/postgresql', { host: 'h', port: 5432 }]) {
      assert.doesNotThrow(() => make(ok), String(ok));
    }
  }
});
