import { fileURLToPath } from 'node:url';
import { docSnippetsSuite } from '@flowlane/testing';

// Every ```ts block of the README that imports this package runs as a program; printed output must match.
docSnippetsSuite({
  docs: [fileURLToPath(new URL('../README.md', import.meta.url))],
  imports: { '@flowlane/scheduler-placement': fileURLToPath(new URL('./index.ts', import.meta.url)) },
  minSnippets: 1,
});
