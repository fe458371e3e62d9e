// A consumer's program, checked by scripts/release/consumer-check.mjs in a project outside the repository that
// installed the packed tarballs: `tsc --strict` (nodenext, no skipLibCheck), then run with node.
import { createEngine, type FlowEvent, workflow } from '@flowlane/core';
import { logging, type PinoLikeLogger } from '@flowlane/middleware-logging';
import { priorityScheduler } from '@flowlane/scheduler-priority';
import { echo } from 'flowlane-plugin-echo';

const lines: string[] = [];
const record = (_fields: Record<string, unknown>, message: string) => void lines.push(message);
const logger: PinoLikeLogger = { debug: record, info: record, warn: record, error: record };

const release = workflow('consumer-release')
  .input<{ version: string }>()
  .addNode(
    'plan',
    async (ctx) => (await ctx.exec('echo "releasing $1"', { shell: true, args: [ctx.input.version] })).stdout.trim(),
    {
      executor: 'echo',
      priority: 5,
    },
  )
  .addNode('build', (ctx) => ({ image: `app:${ctx.input.version}` }), { priority: 10 })
  .addNode('ship', (ctx) => `${ctx.results.plan} as ${ctx.results.build.image}`, { dependsOn: ['plan', 'build'] })
  .build();

const engine = createEngine({
  plugins: [echo(), priorityScheduler({ concurrency: 1 }), logging({ logger })],
});
const events: FlowEvent['type'][] = [];
const run = engine.run(release, { version: '1.2.3' });
run.events$.subscribe((e) => events.push(e.type));
const result = await run.result;
await engine.close();

const expected = 'releasing 1.2.3 as app:1.2.3';
if (result.status !== 'success' || result.outputs.ship !== expected)
  throw new Error(`unexpected result: ${JSON.stringify(result)}`);
if (!events.includes('workflow.completed') || lines.length === 0)
  throw new Error(`missing events or log lines: ${JSON.stringify({ events, lines })}`);
console.log(`ran ${release.name}: ${result.outputs.ship} (${events.length} events, ${lines.length} log lines)`);
console.log(release.toMermaid().split('\n')[0]);
