// The dashboard in a real Chromium (Debian's /usr/bin/chromium through playwright-core): live colours, the report,
// the run list, and a 1,000-node run. Screenshots and timings go to plugins/monitor/.artifacts/ (gitignored).
import { mkdirSync, writeFileSync } from 'node:fs';
import { createEngine, type Engine, type Logger, type Workflow, workflow } from '@flowlane/core';
import { type BrowserService, launchBrowser } from '@flowlane/testing';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type MonitorPlugin, monitor } from './monitor-plugin.js';

const TOKEN = 'browser-token-0123456789';
/** The page's globals, typed for the callbacks that run in Chromium (this package's tsconfig has no DOM lib). */
interface PageGlobals {
  getComputedStyle(e: unknown): { fill: string };
  requestAnimationFrame(cb: () => void): number;
  __flowlane: { lastRenderMs: number };
}
const ARTIFACTS = new URL('../.artifacts/', import.meta.url);
const quiet: Logger = { debug() {}, info() {}, warn() {}, error() {} };

let chrome: BrowserService;
let engine: Engine;
let mon: MonitorPlugin;
let page: Page;
beforeAll(async () => {
  mkdirSync(ARTIFACTS, { recursive: true });
  mon = monitor({ port: 0, token: TOKEN });
  engine = createEngine({ plugins: [mon], logger: quiet });
  await engine.ready();
  chrome = await launchBrowser();
  page = await chrome.newPage();
  page.setDefaultTimeout(10_000);
  await page.setViewportSize({ width: 1400, height: 800 });
});
afterAll(async () => {
  await chrome?.dispose();
  await engine?.close();
});

const shot = (name: string) => page.screenshot({ path: new URL(`${name}.png`, ARTIFACTS).pathname });
const fillOf = (id: string) =>
  page
    .locator(`#graph g.node[data-id="${id}"] rect`)
    .evaluate((r) => (globalThis as unknown as PageGlobals).getComputedStyle(r).fill);
const statusOf = (id: string) => page.locator(`#graph g.node[data-id="${id}"]`).getAttribute('data-status');

describe('dashboard in Chromium', () => {
  it('asks for a token, then shows a run live: nodes change colour, attempts, fallbacks, cache hits and the report', async () => {
    await page.goto(mon.dashboardUrl());
    await page.locator('#login').waitFor({ state: 'visible' });
    await page.fill('#token', TOKEN);
    await page.click('#login button');
    await page.locator('#conn[data-state="open"]').waitFor();

    let open!: (value: string) => void;
    const gate = new Promise<string>((r) => {
      open = r;
    });
    let flakyCalls = 0;
    const completed = { nodes: 0, local: 0 };
    const counting = engine.events$.subscribe((e) => {
      if (e.type === 'node.completed') completed.nodes++;
    });
    const wf = workflow('deploy')
      .addNode('build', () => 'image')
      .addNode(
        'flaky',
        () => {
          if (++flakyCalls % 2 === 1) throw new Error('first attempt fails');
          return 'ok';
        },
        { dependsOn: ['build'], retry: { maxAttempts: 2, initialInterval: 1 } },
      )
      .addNode(
        'risky',
        () => {
          throw new Error('primary down');
        },
        { dependsOn: ['build'], fallback: 'backup' },
      )
      .addNode('backup', () => 'from backup')
      .addNode('cached', () => 'warm', { dependsOn: ['build'], cache: { ttl: 60_000 } })
      .addNode('approve', (ctx) => (ctx.executionId === 'deploy-live' ? gate : 'auto'), {
        dependsOn: ['flaky', 'risky', 'cached'],
        executor: 'local',
      })
      .addNode('release', () => 'done', { dependsOn: ['approve'] })
      .build();
    // Warm the cache so the watched run gets a cache hit.
    expect((await engine.run(wf, undefined, { executionId: 'deploy-warm' }).result).status).toBe('success');
    const run = engine.run(wf, undefined, { executionId: 'deploy-live' });
    await page.locator('#runs tbody tr[data-id="deploy-live"]').click();
    await page.locator('#graph g.node[data-id="approve"][data-status="running"]').waitFor();
    const runningFill = await fillOf('approve');
    expect(await statusOf('build')).toBe('success');
    expect(await statusOf('release')).toBe('pending');
    expect(await page.locator('#graph g.node[data-id="flaky"] text.meta').textContent()).toContain('×2');
    expect(await page.locator('#graph g.node[data-id="risky"]').getAttribute('data-fallback')).toBe('backup');
    expect(await page.locator('#graph g.node[data-id="cached"]').getAttribute('data-cached')).toBe('true');
    await shot('run-live');

    open('approved');
    const result = await run.result;
    expect(result.status).toBe('success');
    await page.locator('#graph g.node[data-id="release"][data-status="success"]').waitFor();
    const successFill = await fillOf('approve');
    expect(successFill).not.toBe(runningFill);
    expect(await fillOf('release')).toBe(successFill);
    await page.locator('#runs tbody tr[data-id="deploy-live"][data-status="success"]').waitFor();
    await page.locator('#log li', { hasText: 'workflow.completed' }).first().waitFor();
    counting.unsubscribe();
    // The report: 2 successful runs (warm-up + this one); completed nodes as counted on engine.events$ here.
    await page.locator('#report dd[data-k="runs.success"]', { hasText: /^2$/ }).waitFor();
    expect(await page.locator('#report dd[data-k="runs.failed"]').textContent()).toBe('0');
    expect(await page.locator('#report dd[data-k="nodes.success"]').textContent()).toBe(String(completed.nodes));
    expect(await page.locator('#report dd[data-k="executor.local.success"]').textContent()).toBe(
      String(completed.nodes),
    );
    expect(await page.locator('#report dd[data-k="runDurations"]').textContent()).toMatch(/ms|s/);
    await shot('run-done');
  });

  it('collapses a parallel group into one box that sums up its members, and filters the run list', async () => {
    const wf = workflow('fanout')
      .addNode('prepare', () => 1)
      .parallel(['eu', 'us', 'ap'], [() => 'eu', () => 'us', () => 'ap'], { dependsOn: ['prepare'] })
      .addNode('report', () => 'ok', { dependsOn: ['eu', 'us', 'ap'] })
      .build();
    const group = wf.toJSON().groups[0];
    expect(group?.nodes).toEqual(['eu', 'us', 'ap']);
    expect((await engine.run(wf, undefined, { executionId: 'fan-1' }).result).status).toBe('success');
    await page.goto(`${mon.dashboardUrl('fan-1')}#token=${TOKEN}`);
    await page.locator('#graph[data-rendered="5"]').waitFor();
    await page.check('#collapse');
    await page.locator('#graph[data-nodes="3"]').waitFor();
    const box = page.locator(`#graph g.node[data-id="group:${group?.id}"]`);
    expect(await box.getAttribute('data-status')).toBe('success');
    expect(await box.locator('text.meta').textContent()).toBe('3/3 ok');
    expect(await page.locator('#graph g.node[data-id="eu"]').count()).toBe(0);
    await page.uncheck('#collapse');
    await page.locator('#graph[data-nodes="5"]').waitFor();

    // The run list's filters.
    const rows = page.locator('#runs tbody tr');
    await page.locator('#runs tbody tr[data-id="deploy-live"]').waitFor();
    expect(await rows.count()).toBe(3);
    await page.selectOption('#filter-workflow', 'fanout');
    expect(
      await rows.evaluateAll((trs) => trs.map((tr) => (tr as unknown as { dataset: { id: string } }).dataset.id)),
    ).toEqual(['fan-1']);
    await page.selectOption('#filter-workflow', '');
    await page.selectOption('#filter-status', 'failed');
    expect(await rows.count()).toBe(0);
    await page.selectOption('#filter-status', 'success');
    expect(await rows.count()).toBe(3);
  });

  it('renders a 1,000-node run and stays responsive (time to first render is measured)', async () => {
    // 20 layers of 50 nodes, each depending on one or two nodes of the layer before (ids are built at runtime).
    interface LooseBuilder {
      addNode(id: string, fn: () => number, options?: { dependsOn: string[] }): LooseBuilder;
      build(): Workflow;
    }
    let b = workflow('big').addNode('n0', () => 0) as unknown as LooseBuilder;
    for (let i = 1; i < 1000; i++) {
      const layer = Math.floor(i / 50);
      const deps = layer === 0 ? ['n0'] : [`n${(layer - 1) * 50 + (i % 50)}`, `n${(layer - 1) * 50 + ((i * 7) % 50)}`];
      b = b.addNode(`n${i}`, () => i, { dependsOn: [...new Set(deps)] });
    }
    const big = b.build();
    const result = await engine.run(big, undefined, { executionId: 'big-1' }).result;
    expect(result.status).toBe('success');

    const t0 = Date.now();
    await page.goto(`${mon.dashboardUrl('big-1')}#token=${TOKEN}`);
    await page.locator('#graph[data-rendered="1000"]').waitFor({ timeout: 30_000 });
    const firstRenderMs = Date.now() - t0;
    const renderMs = await page.evaluate(() => (globalThis as unknown as PageGlobals).__flowlane.lastRenderMs);
    expect(await page.locator('#graph g.node[data-status="success"]').count()).toBe(1000);
    // Responsive: a zoom and a pan each complete within one evaluate round trip.
    const t1 = Date.now();
    await page.mouse.move(700, 400);
    await page.mouse.wheel(0, -400);
    await page.mouse.down();
    await page.mouse.move(600, 350);
    await page.mouse.up();
    await page.evaluate(
      () => new Promise((r) => (globalThis as unknown as PageGlobals).requestAnimationFrame(() => r(null))),
    );
    const interactionMs = Date.now() - t1;
    expect(await page.locator('#viewport').getAttribute('transform')).toMatch(/scale\(/);
    // Collapsing nothing (no parallel groups) keeps every node; the page keeps answering.
    await page.click('#zoom-fit');
    await shot('run-1000-nodes');
    const timings = { nodes: 1000, firstRenderMs, graphRenderMs: Math.round(renderMs), interactionMs };
    writeFileSync(new URL('render-1000.json', ARTIFACTS), `${JSON.stringify(timings, null, 2)}\n`);
    console.log(`[dashboard] 1,000-node run: ${JSON.stringify(timings)}`);
    expect(firstRenderMs).toBeLessThan(30_000);
  });
});
