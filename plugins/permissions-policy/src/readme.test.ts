import { fileURLToPath } from 'node:url';
import { docSnippetsSuite } from '@flowlane/testing';

docSnippetsSuite({
  docs: [fileURLToPath(new URL('../README.md', import.meta.url))],
  imports: { '@flowlane/permissions-policy': fileURLToPath(new URL('./index.ts', import.meta.url)) },
  minSnippets: 1,
});
