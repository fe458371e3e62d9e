import { createConnection } from 'node:net';
import { describe, expect, it } from 'vitest';
import { launchBrowser } from './launch-browser.js';
import { startHttpReceiver } from './start-http-receiver.js';
import { startSmtpServer } from './start-smtp-server.js';

/** Speaks raw SMTP to the server (no client library), so the test checks the server, not a client. */
async function sendRawMail(port: number, lines: readonly string[]): Promise<string> {
  const socket = createConnection({ host: '127.0.0.1', port });
  let transcript = '';
  socket.on('data', (d: Buffer) => {
    transcript += d.toString('utf8');
  });
  const waitFor = async (re: RegExp): Promise<void> => {
    const deadline = Date.now() + 10_000;
    while (!re.test(transcript)) {
      if (Date.now() > deadline) throw new Error(`SMTP transcript never matched ${re}: ${transcript}`);
      await new Promise((r) => setTimeout(r, 10));
    }
  };
  await waitFor(/^220 /m);
  for (const line of lines) socket.write(`${line}\r\n`);
  await waitFor(/^221 /m);
  socket.destroy();
  return transcript;
}

describe('receivers', () => {
  it('startHttpReceiver records requests and answers with the scripted status', async () => {
    await using receiver = await startHttpReceiver({ status: (n) => (n === 0 ? 503 : 202) });
    const first = await fetch(`${receiver.url}/a?x=1`, { method: 'POST', body: 'one' });
    const second = await fetch(`${receiver.url}/b`, { method: 'PUT', body: 'two' });
    expect([first.status, second.status]).toEqual([503, 202]);
    const got = await receiver.waitFor((r) => r.length === 2);
    expect(got.map((r) => [r.method, r.url, r.text, r.status])).toEqual([
      ['POST', '/a?x=1', 'one', 503],
      ['PUT', '/b', 'two', 202],
    ]);
    await expect(receiver.waitFor((r) => r.length === 3, 50)).rejects.toThrow(/2 request\(s\)/);
  });

  it('startSmtpServer accepts a message over real SMTP and keeps its envelope', async () => {
    await using smtp = await startSmtpServer();
    const transcript = await sendRawMail(smtp.port, [
      'EHLO test',
      'MAIL FROM:<a@example.test>',
      'RCPT TO:<b@example.test>',
      'DATA',
      'Subject: hello\r\n\r\nbody text\r\n.',
      'QUIT',
    ]);
    expect(transcript).toMatch(/^250 /m);
    const [mail] = await smtp.waitForMessages(1);
    expect(mail?.from).toBe('a@example.test');
    expect(mail?.to).toEqual(['b@example.test']);
    expect(mail?.raw).toContain('Subject: hello');
  });

  it('launchBrowser runs the Debian Chromium with a private profile, removed on dispose', async () => {
    const chrome = await launchBrowser();
    const { existsSync } = await import('node:fs');
    try {
      expect(existsSync(chrome.profileDir)).toBe(true);
      const page = await chrome.newPage();
      await page.setContent('<p id="x">rendered</p>');
      expect(await page.textContent('#x')).toBe('rendered');
      expect(
        await page.evaluate(() => (globalThis as unknown as { navigator: { userAgent: string } }).navigator.userAgent),
      ).toMatch(/Chrome\//);
    } finally {
      await chrome.dispose();
    }
    expect(existsSync(chrome.profileDir)).toBe(false);
  });
});
