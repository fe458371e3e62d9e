import { formatSummary, summarize } from '@flowlane/cli';
import type { FlowEvent, RunResult } from '@flowlane/core';
import { describe, expect, it } from 'vitest';
import { createReleaseWorkflow } from './release-workflow.js';

const base = { executionId: 'x', workflow: 'release', timestamp: 0 } as const;
const error = { name: 'Error', message: 'boom\nat stack' };

describe('summary table', () => {
  it('notes retries, fallbacks, cache hits, unused standbys and continued failures', () => {
    const description = createReleaseWorkflow().toJSON();
    const ok = { status: 'success', attempts: 1, durationMs: 10 } as const;
    const result: RunResult<object> = {
      executionId: 'x',
      workflow: 'release',
      status: 'success',
      outputs: {},
      durationMs: 100,
      nodes: Object.fromEntries(description.nodes.map((n) => [n.id, ok])),
    };
    const events: FlowEvent[] = [
      { ...base, type: 'node.retrying', nodeId: 'build', attempt: 1, delayMs: 0, error },
      { ...base, type: 'node.cache-hit', nodeId: 'dependency-scan', shared: true },
      { ...base, type: 'node.fell-back', nodeId: 'push-image', fallbackId: 'push-mirror', error },
      { ...base, type: 'node.failed', nodeId: 'smoke-test', attempt: 1, durationMs: 1, error, continued: true },
    ];
    const rows = summarize(description, result, events);
    const notes = Object.fromEntries(rows.map((r) => [r.node, r.notes]));
    expect(rows.map((r) => r.node)).toEqual(description.nodes.map((n) => n.id));
    expect(notes).toMatchObject({
      checkout: '',
      build: 'retried after: boom',
      'dependency-scan': 'cache hit (joined a running computation)',
      'push-image': 'fell back to push-mirror (boom)',
      'push-mirror': 'stood in for push-image',
      'smoke-test': 'failed, run continued: boom',
    });

    const unused = summarize(
      description,
      { ...result, nodes: { ...result.nodes, 'push-mirror': { status: 'skipped', attempts: 0, durationMs: 0 } } },
      [],
    );
    expect(unused.find((r) => r.node === 'push-mirror')?.notes).toBe('standby, not needed');
  });

  it('aligns columns: text left, numbers right', () => {
    const table = formatSummary([
      { node: 'a', status: 'success', attempts: 1, durationMs: 100, notes: '' },
      { node: 'longer-node', status: 'failed', attempts: 12, durationMs: 12_345, notes: 'why' },
    ]);
    expect(table.split('\n')).toEqual([
      'node         status   attempts  duration  notes',
      '───────────  ───────  ────────  ────────  ─────',
      'a            success         1    0.10 s',
      'longer-node  failed         12   12.35 s  why',
    ]);
  });
});
