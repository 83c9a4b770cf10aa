// BullMQ (almost all Lua scripts) against the server: delayed, retried and prioritised
// jobs, and QueueEvents over streams.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Queue, QueueEvents, Worker } from 'bullmq';

import { deadline, startServer, waitFor } from './server.mjs';

deadline(90000);

test('BullMQ: delayed, retried and prioritised jobs, with QueueEvents', async () => {
  const server = await startServer();
  const connection = server.connection;
  const queue = new Queue('jobs', { connection });
  const events = new QueueEvents('jobs', { connection });
  const workers = [];
  try {
    await events.waitUntilReady();
    const completed = new Map();
    const failed = [];
    events.on('completed', ({ jobId, returnvalue }) => completed.set(jobId, returnvalue));
    events.on('failed', ({ jobId, failedReason }) => failed.push([jobId, failedReason]));

    // Prioritised: added while no worker runs, served lowest priority number first.
    const order = [];
    for (const [name, priority] of [['low', 30], ['high', 1], ['middle', 10]]) {
      await queue.add(name, { name }, { priority });
    }
    assert.equal(await queue.getPrioritizedCount(), 3);
    // Delayed: waits its delay in the delayed set.
    const delayedAt = Date.now();
    const delayed = await queue.add('delayed', { name: 'delayed' }, { delay: 400 });
    assert.equal(await delayed.getState(), 'delayed');
    // Retried: fails twice, then succeeds on its third attempt.
    const retried = await queue.add('retried', { name: 'retried' },
      { attempts: 3, backoff: { type: 'fixed', delay: 50 } });
    const attempts = [];

    const worker = new Worker('jobs', async (job) => {
      if (job.name === 'retried') {
        attempts.push(job.attemptsMade);
        if (job.attemptsMade < 2) throw new Error(`attempt ${job.attemptsMade} fails`);
      }
      if (job.name === 'delayed') assert.ok(Date.now() - delayedAt >= 400, 'delayed job ran early');
      order.push(job.name);
      return `done ${job.name}`;
    }, { connection, concurrency: 1 });
    workers.push(worker);

    await waitFor(() => completed.size === 5, 'five completed events', 30000);
    assert.deepEqual(order.filter((name) => ['low', 'high', 'middle'].includes(name)), ['high', 'middle', 'low']);
    assert.equal(completed.get(delayed.id), 'done delayed');
    assert.equal(completed.get(retried.id), 'done retried');
    assert.deepEqual(attempts, [0, 1, 2]);
    const finished = await queue.getJob(retried.id);
    assert.equal(finished.attemptsMade, 3);
    assert.equal(finished.stacktrace.length, 2);  // one per failed attempt
    assert.equal(await finished.getState(), 'completed');
    const counts = await queue.getJobCounts('completed', 'failed', 'delayed', 'wait', 'prioritized');
    assert.deepEqual(counts, { completed: 5, failed: 0, delayed: 0, wait: 0, prioritized: 0 });

    // A job that exhausts its attempts ends failed, and QueueEvents says so.
    await worker.close();
    const doomed = await queue.add('doomed', {}, { attempts: 2 });
    const strict = new Worker('jobs', async () => { throw new Error('always'); }, { connection });
    workers.push(strict);
    await waitFor(async () => (await queue.getJob(doomed.id)).finishedOn !== undefined, 'the doomed job', 30000);
    assert.equal(await (await queue.getJob(doomed.id)).getState(), 'failed');
    await waitFor(() => failed.some(([id, reason]) => id === doomed.id && reason === 'always'), 'its failed event');
    assert.equal((await queue.getJob(doomed.id)).attemptsMade, 2);
  } finally {
    for (const worker of workers) await worker.close();
    await events.close();
    await queue.close();
    await server.stop();
  }
});
