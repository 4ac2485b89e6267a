import { test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { WeirError } from '../../common/weir-error.ts';
import { defaultDiscoveryDirectory, isLoopback, resolveRestOptions } from './rest-options.ts';

const code = (c: string) => (e: unknown) => e instanceof WeirError && e.code === c;

test('rest options: off unless given; loopback by default; discovery under WEIR_JOBS_DIR or the temp directory', () => {
  assert.equal(resolveRestOptions(undefined), undefined);
  const r = resolveRestOptions({ port: 0, discoveryDirectory: 'jobs' })!;
  assert.deepEqual(r, { port: 0, host: '127.0.0.1', token: undefined, discoveryDirectory: path.resolve('jobs') });
  assert.equal(resolveRestOptions({ port: 1, discoveryDirectory: false })!.discoveryDirectory, undefined);
  assert.equal(defaultDiscoveryDirectory({ WEIR_JOBS_DIR: '/x/jobs' }), '/x/jobs');
  assert.match(defaultDiscoveryDirectory({}), /weir-[^/]+\/jobs$/);
});

test('rest options: a non-loopback host needs a token (WEIR_REST_INSECURE); bad values are WEIR_INVALID_ARGUMENT naming the option', () => {
  for (const h of ['127.0.0.1', '127.1.2.3', 'localhost', '::1']) assert.ok(isLoopback(h), h);
  for (const h of ['0.0.0.0', '::', '192.168.1.5', 'example.org']) assert.ok(!isLoopback(h), h);
  assert.throws(() => resolveRestOptions({ port: 8081, host: '0.0.0.0' }), code('WEIR_REST_INSECURE'));
  assert.equal(resolveRestOptions({ port: 8081, host: '0.0.0.0', token: 'long-enough-token' })!.host, '0.0.0.0');
  assert.throws(() => resolveRestOptions({ port: -1 }), (e: unknown) => code('WEIR_INVALID_ARGUMENT')(e) && /rest\.port/.test((e as Error).message));
  assert.throws(() => resolveRestOptions({ port: 80.5 }), code('WEIR_INVALID_ARGUMENT'));
  assert.throws(() => resolveRestOptions({ port: 1, token: 'short' }), (e: unknown) => code('WEIR_INVALID_ARGUMENT')(e) && /rest\.token/.test((e as Error).message));
  assert.throws(() => resolveRestOptions({ port: 1, tls: true }), (e: unknown) => code('WEIR_INVALID_ARGUMENT')(e) && /rest\.tls/.test((e as Error).message));
  assert.throws(() => resolveRestOptions(8081), code('WEIR_INVALID_ARGUMENT'));
});
