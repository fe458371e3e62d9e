import type { FlowEvent } from '@flowlane/core';
import { describe, expect, it } from 'vitest';
import { newEngine } from './engines.test-helper.js';
import { createEtlPipeline, main } from './etl-pipeline.js';
import { instantSleep } from './sleep.js';

const pipeline = createEtlPipeline({ sleep: instantSleep, retryIntervalMs: 0 });

describe('etl-pipeline scenario', () => {
  it('extracts, transforms, enriches and loads', async () => {
    const result = await newEngine().run(pipeline, { date: '2025-11-06' }).result;
    expect(result.status).toBe('success');
    expect(result.outputs.validate).toEqual({ valid: 39_500, invalid: 500 });
    expect(result.outputs.enrich).toEqual({ enriched: 39_500 });
    expect(result.outputs['load-warehouse']).toEqual({ inserted: 39_500, table: 'fact_data', enriched: true });
    expect(result.outputs['generate-report']).toEqual({ report: 'pipeline-report-2025-11-06.pdf' });
  });

  it('skips enrich when its condition is false, and still loads (runIfSkipped)', async () => {
    const run = newEngine().run(pipeline, { date: 'd', enrich: false });
    const events: FlowEvent[] = [];
    run.events$.subscribe((e) => events.push(e));
    const result = await run.result;
    expect(result.status).toBe('success');
    expect(result.nodes.enrich).toMatchObject({ status: 'skipped', attempts: 0 });
    expect(events.find((e) => e.type === 'node.skipped')).toMatchObject({ nodeId: 'enrich', reason: 'condition' });
    expect(result.outputs['load-warehouse']).toEqual({ inserted: 39_500, table: 'fact_data', enriched: false });
    expect(result.nodes['update-search-index']?.status).toBe('success');
  });

  it('finishes successfully when the search index and the report fail (onError: continue)', async () => {
    const run = newEngine().run(pipeline, {
      date: 'd',
      failures: { 'update-search-index': 'always', 'generate-report': 'always' },
    });
    const continued: string[] = [];
    run.events$.subscribe((e) => e.type === 'node.failed' && e.continued && continued.push(e.nodeId));
    const result = await run.result;
    expect(result.status).toBe('success');
    expect(continued.sort()).toEqual(['generate-report', 'update-search-index']);
    expect(result.nodes['update-search-index']?.status).toBe('failed');
    expect(result.outputs['load-warehouse']?.inserted).toBe(39_500);
  });

  it('retries a flaky extract, and fails the pipeline when the warehouse load fails', async () => {
    const engine = newEngine();
    const flaky = await engine.run(pipeline, { date: 'd', failures: { 'extract-s3': 3 } }).result;
    expect(flaky.nodes['extract-s3']).toMatchObject({ status: 'success', attempts: 4 });
    const broken = await engine.run(pipeline, { date: 'd', failures: { 'load-warehouse': 'always' } }).result;
    expect(broken.status).toBe('failed');
    expect(broken.nodes['load-warehouse']?.status).toBe('failed');
  });

  it('main() prints both runs', async () => {
    const lines: string[] = [];
    const results = await main({ log: (l) => lines.push(l), sleep: instantSleep });
    expect(results.map((r) => r.status)).toEqual(['success', 'success']);
    expect(lines).toContain('  enrich               skipped');
  });
});
