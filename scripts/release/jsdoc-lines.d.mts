/** A source file's lines as JSDoc text (leading ` * ` stripped; lines outside doc comments read `\0`). */
export function jsdocLines(text: string): string[];
