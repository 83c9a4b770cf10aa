// node-redis (npm `redis`, v5) against the server: pub/sub on its subscriber connection,
// Lua through `scripts` (EVALSHA, falling back to EVAL on NOSCRIPT), FCALL, and its
// client-side cache, which runs on CLIENT TRACKING over RESP3.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { BasicClientSideCache, createClient, defineScript } from 'redis';

import { deadline, startServer, waitFor } from './server.mjs';

deadline(60000);

test('node-redis: pub/sub, scripts with the NOSCRIPT fallback, FCALL', async () => {
  const server = await startServer();
  const url = `redis://127.0.0.1:${server.port}`;
  const client = createClient({
    url,
    scripts: {
      addTo: defineScript({
        NUMBER_OF_KEYS: 1,
        SCRIPT: "return redis.call('INCRBY', KEYS[1], ARGV[1])",
        parseCommand(parser, key, amount) {
          parser.pushKey(key);
          parser.push(amount.toString());
        },
        transformReply: undefined,
      }),
    },
  });
  const subscriber = client.duplicate();
  try {
    await client.connect();
    await subscriber.connect();

    // Pub/sub: channel and pattern listeners.
    const messages = [];
    await subscriber.subscribe('news', (message, channel) => messages.push(['message', channel, message]));
    await subscriber.pSubscribe('n*', (message, channel) => messages.push(['pmessage', channel, message]));
    assert.equal(await client.publish('news', 'hello'), 2);
    assert.equal(await client.publish('nothing', 'x'), 1);
    await waitFor(() => messages.length === 3, 'three messages');
    assert.deepEqual(messages.sort(), [
      ['message', 'news', 'hello'], ['pmessage', 'news', 'hello'], ['pmessage', 'nothing', 'x'],
    ].sort());
    assert.deepEqual({ ...(await client.pubSubNumSub(['news'])) }, { news: 1 });
    await subscriber.unsubscribe('news');
    await subscriber.pUnsubscribe('n*');
    assert.equal(await client.publish('news', 'again'), 0);

    // Scripts: EVALSHA first; after SCRIPT FLUSH the server answers NOSCRIPT and the
    // client sends EVAL instead.
    assert.equal(await client.addTo('counter', 5), 5);
    await client.scriptFlush();
    assert.equal(await client.addTo('counter', 2), 7);
    await assert.rejects(client.evalSha('0'.repeat(40)), /NOSCRIPT No matching script/);

    // Functions.
    await client.functionLoad("#!lua name=lib\nredis.register_function('double', " +
      "function(keys, args) return redis.call('INCRBY', keys[1], redis.call('GET', keys[1])) end)");
    assert.equal(await client.fCall('double', { keys: ['counter'] }), 14);
  } finally {
    client.destroy();
    subscriber.destroy();
    await server.stop();
  }
});

test('node-redis: the client-side cache is invalidated through CLIENT TRACKING', async () => {
  const server = await startServer();
  const url = `redis://127.0.0.1:${server.port}`;
  const cache = new BasicClientSideCache({ ttl: 0, maxEntries: 0 });
  const cached = createClient({ url, RESP: 3, clientSideCache: cache });
  const writer = createClient({ url });
  try {
    await cached.connect();
    await writer.connect();
    await writer.set('k', '1');
    assert.equal(await cached.get('k'), '1');
    assert.equal(await cached.get('k'), '1');
    assert.equal(cache.stats().hitCount, 1, 'the second GET came from the cache');
    assert.equal(cache.size(), 1);
    // Another client's write reaches the cache as an invalidation push.
    await writer.set('k', '2');
    await waitFor(() => cache.size() === 0, 'the invalidation of k');
    assert.equal(await cached.get('k'), '2');
    // FLUSHALL invalidates everything (a null invalidation).
    await cached.get('k');
    await writer.flushAll();
    await waitFor(() => cache.size() === 0, 'the invalidation of everything');
    assert.equal(await cached.get('k'), null);
  } finally {
    cached.destroy();
    writer.destroy();
    await server.stop();
  }
});
