import { expectTypeOf } from 'vitest';
import { KEY_SOURCE_KEYS, type KeySource } from './key-source.js';

// KEY_SOURCE_KEYS names exactly the keys of KeySource: a new key source must be added there, or the plugin,
// openSecretsFile and rotate would reject it as an unknown option.
expectTypeOf<(typeof KEY_SOURCE_KEYS)[number]>().toEqualTypeOf<keyof KeySource>();
