// ioredis against the server: pub/sub with channels and patterns, Lua through
// defineCommand (EVALSHA, falling back to EVAL on NOSCRIPT), and functions.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import Redis from 'ioredis';

import { deadline, startServer, waitFor } from './server.mjs';

deadline(60000);

test('ioredis: pub/sub, defineCommand with the NOSCRIPT fallback, FCALL', async () => {
  const server = await startServer();
  const client = new Redis(server.port, '127.0.0.1', { lazyConnect: true });
  const subscriber = new Redis(server.port, '127.0.0.1', { lazyConnect: true });
  try {
    await client.connect();
    await subscriber.connect();

    // Pub/sub.
    const messages = [];
    subscriber.on('message', (channel, message) => messages.push(['message', channel, message]));
    subscriber.on('pmessage', (pattern, channel, message) => messages.push(['pmessage', pattern, channel, message]));
    assert.equal(await subscriber.subscribe('news', 'sport'), 2);
    assert.equal(await subscriber.psubscribe('n*'), 3);
    assert.equal(await client.publish('news', 'hello'), 2);
    assert.equal(await client.publish('sport', 'goal'), 1);
    assert.equal(await client.publish('nothing', 'x'), 1);
    await waitFor(() => messages.length === 4, 'four messages');
    assert.deepEqual(messages.sort(), [
      ['message', 'news', 'hello'], ['message', 'sport', 'goal'],
      ['pmessage', 'n*', 'news', 'hello'], ['pmessage', 'n*', 'nothing', 'x'],
    ].sort());
    assert.deepEqual(await client.pubsub('NUMSUB', 'news', 'sport'), ['news', 1, 'sport', 1]);
    await subscriber.unsubscribe('news', 'sport');
    await subscriber.punsubscribe('n*');
    assert.equal(await client.publish('news', 'again'), 0);

    // defineCommand: EVALSHA first; after SCRIPT FLUSH the server answers NOSCRIPT and
    // ioredis sends EVAL, which caches the script again.
    client.defineCommand('addTo', {
      numberOfKeys: 1,
      lua: "return redis.call('INCRBY', KEYS[1], ARGV[1])",
    });
    assert.equal(await client.addTo('counter', 5), 5);
    await client.script('FLUSH');
    assert.equal(await client.addTo('counter', 2), 7);
    const sha = (await client.script('LOAD', "return redis.call('INCRBY', KEYS[1], ARGV[1])"));
    assert.deepEqual(await client.script('EXISTS', sha), [1]);
    // A pipeline of defined commands after a flush too.
    await client.script('FLUSH');
    const results = await client.pipeline().addTo('counter', 1).addTo('counter', 1).exec();
    assert.deepEqual(results, [[null, 8], [null, 9]]);
    // EVALSHA of an unknown script: NOSCRIPT, as ioredis expects it.
    await assert.rejects(client.evalsha('0'.repeat(40), 0), /^ReplyError: NOSCRIPT No matching script/);
    // A script error reaches the caller as a ReplyError.
    await assert.rejects(client.eval("return redis.call('INCR', KEYS[1])", 1, 'not-a-number-key-x')
      .then(() => client.set('text', 'abc'))
      .then(() => client.eval("return redis.call('INCR', KEYS[1])", 1, 'text')),
    /ERR value is not an integer or out of range script: /);

    // Functions.
    await client.call('FUNCTION', 'LOAD', "#!lua name=lib\nredis.register_function('double', " +
      'function(keys, args) return redis.call(\'INCRBY\', keys[1], redis.call(\'GET\', keys[1])) end)');
    assert.equal(await client.call('FCALL', 'double', 1, 'counter'), 18);
  } finally {
    client.disconnect();
    subscriber.disconnect();
    await server.stop();
  }
});
