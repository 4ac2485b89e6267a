/**
 * Heap identities of keys: a value usable as a JS `Map` key with exactly the equality of the
 * canonical key encoding (key-codec.ts), cheap for the common primitive keys.
 */
import { WeirError } from '../common/weir-error.ts';
import { KeyWriter, writeKey } from './key-codec.ts';
import { isWellFormedString, LONE_SURROGATE_KEY } from '../common/codec/well-formed.ts';

const writer = new KeyWriter();

/**
 * A cheap identity for a key, usable as a JS `Map` key with the same equality as
 * {@link encodeKey}: primitives stand for themselves (strings starting with U+0000 get one more
 * U+0000 in front), composite keys (arrays, objects, Dates, bytes) become `"\0\x01" + latin1(bytes)`.
 */
export function keyIdentity(key: unknown): unknown {
  switch (typeof key) {
    case 'string':
      if (!isWellFormedString(key)) throw new WeirError('WEIR_INVALID_KEY', `Invalid key: ${LONE_SURROGATE_KEY}`, { why: 'lone surrogate' });
      return key.length > 0 && key.charCodeAt(0) === 0 ? `\u0000${key}` : key;
    case 'number':
      if (Number.isNaN(key)) throw new WeirError('WEIR_INVALID_KEY', 'Invalid key NaN: NaN is not equal to itself and cannot be a key', { why: 'NaN' });
      return key === 0 ? 0 : key;
    case 'boolean':
    case 'bigint':
      return key;
    case 'object':
      if (key === null) return null;
      writer.reset();
      writeKey(writer, key);
      return `\u0000\u0001${writer.buf.toString('latin1', 0, writer.pos)}`;
    default:
      writer.reset();
      writeKey(writer, key); // throws the right WEIR_INVALID_KEY
      return undefined;
  }
}
