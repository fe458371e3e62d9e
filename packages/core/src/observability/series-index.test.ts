import { describe, expect, it } from 'vitest';
import { createSeriesIndex, OVERFLOW_LABEL } from './series-index.js';

describe('createSeriesIndex', () => {
  it('keeps the first names and collapses later ones to "other", remembering none of them', () => {
    const made: string[] = [];
    const index = createSeriesIndex(
      { maxWorkflows: 2, maxNodeIds: 2 },
      (w) => {
        made.push(`w:${w}`);
        return { w };
      },
      (w, n) => {
        made.push(`n:${w.w}/${n}`);
        return `${w.w}/${n}`;
      },
    );
    const a = index.workflow('a');
    expect(index.workflow('a')).toBe(a);
    index.workflow('b');
    const c = index.workflow('c');
    expect(c.slot).toEqual({ w: OVERFLOW_LABEL });
    expect(index.workflow('d')).toBe(c);
    expect(index.workflow(OVERFLOW_LABEL)).toBe(c);
    expect([index.node(a, 'x'), index.node(a, 'y'), index.node(a, 'z'), index.node(a, 'q')]).toEqual([
      'a/x',
      'a/y',
      'a/other',
      'a/other',
    ]);
    expect(index.node(c, 'x')).toBe('other/x');
    expect(made).toEqual(['w:a', 'w:b', 'w:other', 'n:a/x', 'n:a/y', 'n:a/other', 'n:other/x']);
    expect(a.nodes.size).toBe(2);
  });
});
