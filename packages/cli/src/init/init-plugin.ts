import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { CliError, ExitCode } from '../cli-error.js';
import { type CliIo, println } from '../commands/io.js';
import { PLUGIN_KINDS, type PluginKind, pluginTemplate, type TemplateValues } from './plugin-templates.js';

/** Options of `flowlane init plugin`. */
export interface InitPluginOptions {
  readonly kind?: string | undefined;
  readonly dir?: string | undefined;
}

const NPM_NAME = /^(?:@[a-z0-9][a-z0-9._-]*\/)?[a-z0-9][a-z0-9._-]*$/;

/** The short name (what nodes select) of a package name: scope and `flowlane-`/`plugin-`/kind prefixes removed. */
export function shortNameOf(packageName: string): string {
  let s = packageName.replace(/^@[^/]+\//, '');
  for (const prefix of ['flowlane-plugin-', 'flowlane-executor-', 'flowlane-state-store-', 'flowlane-', 'plugin-'])
    if (s.startsWith(prefix) && s.length > prefix.length) {
      s = s.slice(prefix.length);
      break;
    }
  return s;
}

const words = (s: string): string[] => s.split(/[^a-zA-Z0-9]+/).filter((w) => w !== '');
const cap = (w: string): string => w.charAt(0).toUpperCase() + w.slice(1);

/** The CLI's own version: Flowlane packages are versioned in lockstep, so it is also core's and testing's. */
function flowlaneVersion(): string {
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
  return pkg.version;
}

/** Template values for a package name and kind. */
export function templateValues(packageName: string, kind: PluginKind): TemplateValues {
  const short = shortNameOf(packageName);
  const parts = words(short);
  if (parts.length === 0 || /^[0-9]/.test(parts[0]!))
    throw new CliError(
      `Cannot derive an identifier from "${packageName}".`,
      'Start the name with a letter, e.g. flowlane-plugin-acme.',
      ExitCode.usage,
    );
  const pascal = parts.map(cap).join('');
  const version = flowlaneVersion();
  return {
    packageName,
    shortName: short,
    camel: pascal.charAt(0).toLowerCase() + pascal.slice(1),
    pascal,
    kind,
    versions: { core: version, testing: version, typescript: '^7.0.2', vitest: '^4.1.12', typesNode: '^20.19.0' },
  };
}

/**
 * `flowlane init plugin <name>`: writes a plugin package (package.json, README, LICENSE, tsconfig, vitest config,
 * source, and tests that run the matching `@flowlane/testing` conformance suite) into `--dir` (default `./<name>`
 * without its scope). Refuses to write into a non-empty directory.
 */
export function initPluginCommand(name: string, opts: InitPluginOptions, io: CliIo): number {
  if (!NPM_NAME.test(name) || name.length > 214)
    throw new CliError(
      `"${name}" is not a valid npm package name.`,
      'Use lowercase letters, digits, "-", "." or "_", optionally scoped: flowlane-plugin-acme or @acme/flowlane-executor-x.',
      ExitCode.usage,
    );
  const kind = (opts.kind ?? 'executor') as PluginKind;
  if (!PLUGIN_KINDS.includes(kind))
    throw new CliError(`Unknown plugin kind "${kind}".`, `Use one of: ${PLUGIN_KINDS.join(', ')}.`, ExitCode.usage);
  const dir = resolve(io.cwd, opts.dir ?? name.replace(/^@[^/]+\//, ''));
  if (existsSync(dir) && readdirSync(dir).length > 0)
    throw new CliError(
      `${dir} exists and is not empty.`,
      'Choose another --dir or remove its contents.',
      ExitCode.usage,
    );
  const files = pluginTemplate(templateValues(name, kind), new Date().getUTCFullYear());
  for (const [path, text] of Object.entries(files)) {
    const target = join(dir, path);
    mkdirSync(dirname(target), { recursive: true });
    writeFileSync(target, text);
  }
  const shown = relative(io.cwd, dir) || '.';
  println(io.stdout, `✔ Created ${name} (${kind} plugin) in ${shown}`);
  for (const path of Object.keys(files).sort()) println(io.stdout, `    ${path}`);
  println(io.stdout, '');
  println(io.stdout, 'Next:');
  println(io.stdout, `  cd ${shown}`);
  println(io.stdout, '  npm install');
  println(io.stdout, '  npm test      # runs the @flowlane/testing conformance suite against your plugin');
  return ExitCode.ok;
}
