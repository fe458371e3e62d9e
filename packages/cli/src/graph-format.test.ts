import { workflow } from '@flowlane/core';
import { describe, expect, it } from 'vitest';
import { toDot, toMermaid } from './graph-format.js';

// Boundaries, branches and ids that need escaping (the golden files in test/ cover groups and fallbacks).
const wf = workflow('edge "cases"')
  .addNode('fetch', () => 1)
  .addNode('risky', () => 2, { dependsOn: ['fetch'] })
  .addNode('handler', () => 'recovered', { onError: true, forNodes: ['risky'] })
  .branch('route', () => true, { then: ['yes'], else: ['no'] })
  .addNode('yes', () => 'y')
  .addNode('no', () => 'n')
  .build();

describe('graph formats', () => {
  it('mermaid: boundary edges dotted "on error", standby nodes rounded, quotes escaped', () => {
    const text = toMermaid(wf.toJSON());
    expect(text.split('\n')[1]).toBe('  %% workflow edge #quot;cases#quot;');
    const ids = new Map([...text.matchAll(/^ {2}(n\d+)[[(]+"([^"]+)"/gm)].map((m) => [m[2]!, m[1]!]));
    expect(text).toContain(`${ids.get('handler')}(["handler"])`);
    expect(text).toContain(`${ids.get('risky')} -. on error .-> ${ids.get('handler')}`);
    expect(text).toContain(`${ids.get('fetch')} --> ${ids.get('risky')}`);
    expect(text).toContain(`${ids.get('route')} -. branch .-> ${ids.get('yes')}`);
  });

  it('dot: quoted ids, dashed standby nodes and labelled boundary edges', () => {
    const text = toDot(wf.toJSON());
    expect(text.startsWith('digraph "edge \\"cases\\"" {')).toBe(true);
    expect(text).toContain('  "handler" [style=dashed];');
    expect(text).toContain('  "risky" -> "handler" [style=dashed, label="on error"];');
    expect(text).toContain('  "route" -> "no" [style=dashed, label="branch"];');
    expect(text.trimEnd().endsWith('}')).toBe(true);
  });
});
