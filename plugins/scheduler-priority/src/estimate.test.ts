import { workflow } from '@flowlane/core';
import { describe, expect, it } from 'vitest';
import { estimate } from './estimate.js';

const etl = workflow('etl')
  .addNode('extract', () => 1, { estimatedMs: 200 })
  .addNode('transform', () => 2, { dependsOn: ['extract'], estimatedMs: 500 })
  .addNode('audit', () => 3, { dependsOn: ['extract'], estimatedMs: 100, priority: 5 })
  .addNode('load', () => 4, { dependsOn: ['transform'], estimatedMs: 300 })
  .addNode('report', () => 5, { dependsOn: ['audit', 'load'], estimatedMs: 50 })
  .addNode('fallback', () => 6)
  .addNode('flaky', () => 7, { fallback: 'fallback', estimatedMs: 900 })
  .build();

describe('estimate', () => {
  it('returns the critical path and the per-level plan', () => {
    const e = estimate(etl);
    expect(e.criticalPath).toEqual(['extract', 'transform', 'load', 'report']);
    expect(e.criticalPathMs).toBe(1050);
    expect(e.levels).toEqual([
      { level: 0, nodes: ['extract', 'flaky'], durationMs: 900 },
      { level: 1, nodes: ['audit', 'transform'], durationMs: 500 },
      { level: 2, nodes: ['load'], durationMs: 300 },
      { level: 3, nodes: ['report'], durationMs: 50 },
    ]);
    expect(e.levelPlanMs).toBe(1750);
    expect(e.nodes.audit).toEqual({ durationMs: 100, source: 'estimatedMs', level: 1, remainingMs: 150 });
    expect(e.nodes.fallback).toBeUndefined(); // standby nodes run only when needed
    expect(e.unestimated).toEqual([]);
  });

  it('packs each level onto `concurrency` lanes, longest first', () => {
    const wide = workflow('wide')
      .addNode('a', () => 1, { estimatedMs: 40 })
      .addNode('b', () => 1, { estimatedMs: 30 })
      .addNode('c', () => 1, { estimatedMs: 20 })
      .addNode('d', () => 1, { estimatedMs: 20 })
      .build();
    expect(estimate(wide).levels[0]?.durationMs).toBe(40);
    expect(estimate(wide, { concurrency: 2 }).levels[0]?.durationMs).toBe(60); // a+d | b+c → 60 | 50
    expect(estimate(wide, { concurrency: 1 }).levelPlanMs).toBe(110);
  });

  it('uses durationOf, then defaultMs, and reports unestimated nodes', () => {
    const wf = workflow('mixed')
      .addNode('a', () => 1)
      .addNode('b', () => 1, { dependsOn: ['a'] })
      .addNode('c', () => 1, { dependsOn: ['b'], estimatedMs: 10 })
      .build();
    const e = estimate(wf, { durationOf: (n) => (n.id === 'a' ? 7 : undefined), defaultMs: 0 });
    expect(e.criticalPathMs).toBe(17);
    expect(e.unestimated).toEqual(['b']);
    expect(e.nodes.a?.source).toBe('observed');
    // Without estimates every node counts 1 ms: the longest chain is the critical path.
    expect(estimate(wf.toJSON()).criticalPathMs).toBe(12);
  });
});
