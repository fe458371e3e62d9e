/** `scheme://user:password@host` → `scheme://user:***@host` anywhere in a text (errors, option echoes). */
export function redactUrls(text: string): string {
  return text.replace(/([a-z][a-z0-9+.-]*:\/\/[^\s:/@]*:)[^\s@/]+@/gi, '$1***@');
}
