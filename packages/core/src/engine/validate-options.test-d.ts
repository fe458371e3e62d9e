import { expectTypeOf } from 'vitest';
import type { EngineOptions } from './engine.js';
import { ENGINE_KEYS } from './validate-options.js';

// ENGINE_KEYS names exactly the keys of EngineOptions: a new engine option must be added there, or createEngine
// would reject it as unknown.
expectTypeOf<(typeof ENGINE_KEYS)[number]>().toEqualTypeOf<keyof EngineOptions>();
