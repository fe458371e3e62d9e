import { describe, expect, it } from 'vitest';
import type { WorkflowDescription } from '../builder/types.js';
import { workflow } from '../builder/workflow-builder.js';
import { createEngine } from '../engine/engine.js';
import { CORE_VERSION } from '../version.js';
import { definePlugin } from './define-plugin.js';

describe('PluginApi.describeRun', () => {
  it('describes an active run on workflow.started and forgets it once the run settled', async () => {
    const seen: (WorkflowDescription | undefined)[] = [];
    let later: ((id: string) => WorkflowDescription | undefined) | undefined;
    const plugin = definePlugin({
      name: 'describer',
      version: '1.0.0',
      flowlane: `^${CORE_VERSION}`,
      setup(api) {
        later = api.describeRun;
        api.metrics.addExporter({
          name: 'describer',
          handle: (e) => {
            if (e.type === 'workflow.started') seen.push(api.describeRun(e.executionId));
          },
        });
      },
    });
    const engine = createEngine({ plugins: [plugin], logger: { debug() {}, info() {}, warn() {}, error() {} } });
    const wf = workflow('graph')
      .addNode('a', () => 1)
      .chain('b', () => 2)
      .build();
    const result = await engine.run(wf, undefined, { executionId: 'r1' }).result;
    expect(result.status).toBe('success');
    expect(seen).toHaveLength(1);
    expect(seen[0]?.name).toBe('graph');
    expect(seen[0]?.edges).toEqual([{ from: 'a', to: 'b', kind: 'dependency' }]);
    expect(later?.('r1')).toBeUndefined();
    expect(later?.('nope')).toBeUndefined();
    await engine.close();
  });
});
