// A Temporal worker written with the TypeScript SDK (plain JavaScript: the
// SDK ships compiled JS, so there is no build step). It serves one activity,
// ts.greet, on task queue polyglot-ts; polyglot.yaml calls it from dslrun.
//
//   npm ci && node worker.js      # TEMPORAL_ADDRESS, TEMPORAL_NAMESPACE as for dslrun
'use strict';

const { NativeConnection, Worker } = require('@temporalio/worker');
const { Context } = require('@temporalio/activity');

const taskQueue = 'polyglot-ts';

const activities = {
  // The step's with: is the single argument; the returned object is the
  // step's result (steps.<id>.result).
  async 'ts.greet'({ name, times = 1 }) {
    const { attempt, workflowExecution } = Context.current().info;
    return {
      greeting: Array(times).fill(`Hello, ${name}!`).join(' '),
      letters: [...name].length,
      runtime: `node ${process.versions.node}`,
      workflowId: workflowExecution.workflowId,
      attempt,
    };
  },
};

async function main() {
  const address = process.env.TEMPORAL_ADDRESS || '127.0.0.1:7233';
  const namespace = process.env.TEMPORAL_NAMESPACE || 'default';
  const connection = await NativeConnection.connect({ address });
  // No workflowsPath: this worker runs activities only.
  const worker = await Worker.create({ connection, namespace, taskQueue, activities });
  console.log(`polyglot worker: task queue ${taskQueue} on ${address}, namespace ${namespace}`);
  // run() returns after SIGINT or SIGTERM, once running activities finish.
  await worker.run();
  await connection.close();
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
