import { fileURLToPath } from 'node:url';
import { docSnippetsSuite } from '@flowlane/testing';

// The README's programs that use the package's exports run as written, and print what their comments say.
docSnippetsSuite({
  docs: [fileURLToPath(new URL('../README.md', import.meta.url))],
  imports: { '@flowlane/cli': fileURLToPath(new URL('../src/index.ts', import.meta.url)) },
});
