import { defineConfig } from 'vitest/config';

/** Shared vitest settings: legacy decorators with metadata (tsyringe), reflect-metadata loaded first. */
export const sharedConfig = defineConfig({
  oxc: { decorator: { legacy: true, emitDecoratorMetadata: true } },
  test: {
    setupFiles: ['reflect-metadata'],
    include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
    typecheck: { enabled: false },
  },
});
