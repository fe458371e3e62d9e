import { fileURLToPath } from 'node:url';
import { docSnippetsSuite } from '@flowlane/testing';

// docs/schedulers.md: every example runs against the three scheduler packages' sources; printed output must match.
const src = (pkg: string): string => fileURLToPath(new URL(`../../${pkg}/src/index.ts`, import.meta.url));
docSnippetsSuite({
  docs: [fileURLToPath(new URL('../../../docs/schedulers.md', import.meta.url))],
  imports: {
    '@flowlane/scheduler-priority': src('scheduler-priority'),
    '@flowlane/scheduler-round-robin': src('scheduler-round-robin'),
    '@flowlane/scheduler-load-based': src('scheduler-load-based'),
  },
  outDir: fileURLToPath(new URL('../.snippets-docs/', import.meta.url)),
  minSnippets: 5,
});
