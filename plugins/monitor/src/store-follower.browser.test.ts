// The dashboard of a standalone monitor (`followStore`, an engine that executes nothing) in a real Chromium: a run
// executed by another engine sharing the execution store shows up in the run list and its DAG goes live.
import { createEngine, createMemoryExecutionStore, type Logger, workflow } from '@flowlane/core';
import { launchBrowser } from '@flowlane/testing';
import { afterEach, describe, expect, it } from 'vitest';
import { monitor } from './monitor-plugin.js';

const TOKEN = 'browser-token-0123456789';
const quiet: Logger = { debug() {}, info() {}, warn() {}, error() {} };
const cleanup: (() => Promise<unknown> | unknown)[] = [];
afterEach(async () => {
  for (const fn of cleanup.splice(0).reverse()) await fn();
});

describe('standalone monitor dashboard in Chromium', () => {
  it('shows a run executed by another engine: run list, DAG from the log, live node colours', async () => {
    const executions = createMemoryExecutionStore();
    const worker = createEngine({ executions, logger: quiet });
    cleanup.push(() => worker.close());
    const mon = monitor({ port: 0, token: TOKEN, followStore: { intervalMs: 50 } });
    const viewer = createEngine({ executions, plugins: [mon], logger: quiet });
    cleanup.push(() => viewer.close());
    await viewer.ready();

    let open!: () => void;
    const gate = new Promise<void>((r) => {
      open = r;
    });
    const wf = workflow('ship')
      .addNode('build', () => 'image')
      .addNode('test', () => 'ok', { dependsOn: ['build'] })
      .addNode('approve', () => gate.then(() => 'yes'), { dependsOn: ['test'] })
      .addNode('release', () => 'done', { dependsOn: ['approve'] })
      .build();
    const run = worker.run(wf, undefined, { executionId: 'ship-7' });

    const chrome = await launchBrowser();
    cleanup.push(() => chrome.dispose());
    const page = await chrome.newPage();
    page.setDefaultTimeout(10_000);
    await page.goto(`${mon.dashboardUrl('ship-7')}#token=${TOKEN}`);
    await page.locator('#graph g.node[data-id="approve"][data-status="running"]').waitFor();
    expect(await page.locator('#graph g.node[data-id="build"]').getAttribute('data-status')).toBe('success');
    expect(await page.locator('#graph g.node').count()).toBe(4);
    await page.locator('#runs tbody tr[data-id="ship-7"]').waitFor();

    open();
    expect((await run.result).status).toBe('success');
    await page.locator('#graph g.node[data-id="release"][data-status="success"]').waitFor();
    await page.locator('#runs tbody tr[data-id="ship-7"][data-status="success"]').waitFor();
  });
});
