import type { BrowserContext, Page } from 'playwright-core';
import { requireBinary } from './find-binary.js';
import { createServiceHandle, type ServiceHandle } from './service-handle.js';
import { createTempDir, removeTempDir } from './temp-dir.js';

/** Options of {@link launchBrowser}. */
export interface LaunchBrowserOptions {
  /** The Chromium binary. Default `/usr/bin/chromium` (Debian's `chromium` package). */
  readonly executablePath?: string | undefined;
}

/** A headless Chromium driven by `playwright-core`, with a private profile directory. */
export interface BrowserService extends ServiceHandle {
  /** The browser's (persistent) context: every page shares the private profile. */
  readonly context: BrowserContext;
  /** A new tab. */
  newPage(): Promise<Page>;
  /** The private `--user-data-dir` (removed on dispose). */
  readonly profileDir: string;
}

/** Flags for a quiet, sandbox-free headless Chromium on a CI machine (no GPU, no background traffic). */
const FLAGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
];

/**
 * Launches the Debian `chromium` headless through `playwright-core` with a fresh profile in a private temp dir.
 * Fails with the install command when Chromium is missing (`scripts/setup-test-services.sh` installs it).
 *
 * @example
 * ```ts
 * import { launchBrowser } from '@flowlane/testing';
 *
 * await using chrome = await launchBrowser();
 * const page = await chrome.newPage();
 * await page.setContent('<h1>hi</h1>');
 * console.log(await page.textContent('h1')); // hi
 * ```
 */
export async function launchBrowser(options: LaunchBrowserOptions = {}): Promise<BrowserService> {
  const executablePath = await requireBinary('chromium', options.executablePath ?? '/usr/bin/chromium', 'chromium');
  // Loaded on first use: most suites importing @flowlane/testing never start a browser.
  const { chromium } = await import('playwright-core');
  const profileDir = await createTempDir('chromium');
  let context: Awaited<ReturnType<typeof chromium.launchPersistentContext>>;
  try {
    context = await chromium.launchPersistentContext(profileDir, {
      executablePath,
      headless: true,
      args: FLAGS,
      // playwright's defaults include flags that need a newer or an official build; keep only ours.
      ignoreDefaultArgs: ['--enable-automation'],
    });
  } catch (e) {
    await removeTempDir(profileDir).catch(() => undefined);
    throw e;
  }
  return createServiceHandle({ context, profileDir, newPage: () => context.newPage() }, async () => {
    await context.close().catch(() => undefined);
    await removeTempDir(profileDir);
  });
}
