import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type MetricsDemo, startMetricsDemo } from './index.js';

describe('metrics example', () => {
  let demo: MetricsDemo;
  beforeAll(async () => {
    demo = await startMetricsDemo({ port: 0, intervalMs: 10 });
  });
  afterAll(async () => {
    await demo?.stop();
  });

  it('serves flowlane_workflow_runs_total on /metrics over HTTP', async () => {
    expect(demo.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/metrics$/);
    while (demo.runs() < 3) await new Promise((resolve) => setTimeout(resolve, 20));

    const response = await fetch(demo.url);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toContain('text/plain');
    const text = await response.text();

    expect(text).toContain('# TYPE flowlane_workflow_runs_total counter');
    const runs = [...text.matchAll(/^flowlane_workflow_runs_total\{([^}]*)\} (\d+)$/gm)];
    expect(runs.map((m) => m[1])).toEqual(
      expect.arrayContaining([expect.stringContaining('workflow="etl",status="success",service="metrics-example"')]),
    );
    const total = runs.reduce((sum, m) => sum + Number(m[2]), 0);
    expect(total).toBeGreaterThanOrEqual(3);
    expect(text).toMatch(/^flowlane_node_executions_total\{workflow="etl",node="load",status="success"[^}]*\} \d+$/m);
    expect(text).toContain('flowlane_node_duration_seconds_bucket{');
  });

  it('closes the /metrics server with the engine', async () => {
    const url = demo.url;
    await demo.stop();
    await expect(fetch(url)).rejects.toThrow();
  });
});
