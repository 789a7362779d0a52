import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MessageChannel } from 'node:worker_threads';
import { expose, wrap, type Endpoint } from 'comlink';
import { TastebudError } from '../common/errors';
import { deserializeError, installErrorTransfer } from '../common/transfer';

test('TastebudError keeps class, code and field across a comlink boundary', async () => {
  installErrorTransfer();
  const { port1, port2 } = new MessageChannel();
  expose(
    {
      fail(): never {
        throw new TastebudError('quota', 'disk full', { field: 'events' });
      },
      crash(): never {
        throw new RangeError('boom');
      },
      ok(): number {
        return 42;
      },
    },
    port1 as unknown as Endpoint,
  );
  const remote = wrap<{ fail(): never; crash(): never; ok(): number }>(port2 as unknown as Endpoint);
  assert.equal(await remote.ok(), 42);
  await assert.rejects(
    remote.fail(),
    (err: unknown) => err instanceof TastebudError && err.code === 'quota' && err.field === 'events' && err.message === 'disk full',
  );
  await assert.rejects(
    remote.crash(),
    (err: unknown) => err instanceof TastebudError && err.code === 'internal' && /RangeError: boom/.test(err.message),
  );
  port1.close();
  port2.close();
});

test('malformed serialized errors still become TastebudErrors', () => {
  const err = deserializeError({ code: 'made-up', message: 42 });
  assert.ok(err instanceof TastebudError);
  assert.equal(err.code, 'internal');
});
