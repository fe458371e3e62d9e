import type { WorkflowDescription } from '@flowlane/core';
import { describe, expect, it } from 'vitest';
import { graphExecutors, graphText, withDescription } from './run-graph-text.js';

const description: WorkflowDescription = {
  name: 'w',
  nodes: [{ id: 'a', kind: 'task', dependsOn: [], standby: false, options: { executor: 'ssh' } }],
  edges: [],
  groups: [],
};

describe('run graph text', () => {
  it('splices a description given as JSON text exactly where JSON.stringify would put it', () => {
    const event = { type: 'workflow.started', executionId: 'r"1', nodeCount: 1 };
    const text = graphText(description);
    expect(withDescription({ type: 'event', event }, text)).toBe(JSON.stringify({ type: 'event', event, description }));
    expect(withDescription({ type: 'event', event }, undefined)).toBe(JSON.stringify({ type: 'event', event }));
    const tail = { events: [event], truncated: false };
    expect(withDescription({ type: 'history', executionId: 'r"1' }, text, tail)).toBe(
      JSON.stringify({ type: 'history', executionId: 'r"1', description, ...tail }),
    );
    expect(withDescription({ type: 'history', executionId: 'x' }, undefined, tail)).toBe(
      JSON.stringify({ type: 'history', executionId: 'x', description: undefined, ...tail }),
    );
  });

  it("reads a handle's text and executors from core, and a description's itself", () => {
    const handle = {
      workflow: 'w',
      describe: () => description,
      json: () => '{"from":"core"}',
      executors: () => new Map<string, string>(),
    };
    expect(graphText(handle)).toBe('{"from":"core"}');
    expect(graphExecutors(handle, () => new Map([['x', 'y']]))).toBeUndefined();
    expect(graphExecutors({ ...handle, executors: () => new Map([['a', 'ssh']]) }, () => undefined)).toEqual(
      new Map([['a', 'ssh']]),
    );
    expect(graphExecutors(description, () => new Map([['a', 'ssh']]))).toEqual(new Map([['a', 'ssh']]));
  });
});
