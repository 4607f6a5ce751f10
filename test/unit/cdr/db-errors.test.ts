import { describe, expect, test } from 'vitest';
import { toDbError } from '../../../agent/src/pbx/freepbx/db';

describe('toDbError', () => {
  test.each([
    [{ code: 'ECONNREFUSED', message: 'connect ECONNREFUSED 127.0.0.1:3306' }, 'unavailable'],
    [{ code: 'PROTOCOL_CONNECTION_LOST', fatal: true, message: 'Connection lost' }, 'unavailable'],
    [{ code: 'ER_ACCESS_DENIED_ERROR', message: 'Access denied' }, 'unavailable'],
    [{ code: 'ER_CONNECTION_KILLED', message: 'Connection was killed' }, 'unavailable'],
    [{ code: 'ETIMEDOUT', message: 'connect ETIMEDOUT' }, 'unavailable'],
    [{ message: 'Queue limit reached.' }, 'busy'],
    [{ code: 'ER_PARSE_ERROR', message: 'You have an error in your SQL syntax' }, 'internal'],
    [{ code: 'ER_BAD_FIELD_ERROR', message: "Unknown column 'did'" }, 'internal'],
  ])('%j → %s', (err, code) => {
    const e = toDbError(Object.assign(new Error(err.message), err));
    expect(e.code).toBe(code);
    expect(e.retryable).toBe(code !== 'internal');
    if (code === 'unavailable') expect(e.message).toMatch(/^database unreachable: /);
  });
});
