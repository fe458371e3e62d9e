/**
 * The symbols behind {@link Tokens} (`plugin/tokens.ts`), untyped. The engine registers its services under these keys;
 * the typed token table sits above the engine (it names the `Engine` type), so the two import one way.
 */
export const TokenKeys = {
  Engine: Symbol.for('flowlane.Engine'),
  Logger: Symbol.for('flowlane.Logger'),
  Clock: Symbol.for('flowlane.Clock'),
  CacheStore: Symbol.for('flowlane.CacheStore'),
  StateStore: Symbol.for('flowlane.StateStore'),
  Scheduler: Symbol.for('flowlane.Scheduler'),
  PermissionPolicy: Symbol.for('flowlane.PermissionPolicy'),
  AuditSinks: Symbol.for('flowlane.AuditSinks'),
  Executors: Symbol.for('flowlane.Executors'),
} as const;
