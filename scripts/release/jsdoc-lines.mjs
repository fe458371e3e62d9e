// Shared by check-docs.mjs (type-checks every JSDoc ```ts block) and core's docs-snippets test (runs core's).

/**
 * A source file's lines as JSDoc text: inside a `/** … *\/` comment the line ` *   text` reads `  text` (the leading
 * ` * ` stripped); every other line reads `\0`, so a fenced block never runs past its comment. Line numbers are kept.
 */
export function jsdocLines(text) {
  const lines = [];
  let inDoc = false;
  for (const raw of text.split('\n')) {
    if (!inDoc && /^\s*\/\*\*/.test(raw)) inDoc = true;
    lines.push(
      inDoc
        ? raw
            .replace(/^\s*\/\*\*\s?/, '')
            .replace(/^\s*\*(?!\/) ?/, '')
            .replace(/\s*\*\/\s*$/, '')
        : '\0',
    );
    if (raw.includes('*/')) inDoc = false;
  }
  return lines;
}
