import { createServer } from 'node:net';

/**
 * Binds `port` on 127.0.0.1 for a moment and lets it go: run before anything starts, so that a
 * second copy of the program fails on the port at once, before any service touches DATA_DIR. Port
 * 0 (any free port) always passes. A third program could still take the port in the short gap
 * before the HTTP server binds it; that one then fails as before.
 * @returns undefined when the port is free, else what to report.
 */
export async function checkPort(port: number): Promise<string | undefined> {
  if (port === 0) return undefined;
  const server = createServer();
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen({ port, host: '127.0.0.1', exclusive: true }, resolve);
    });
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    if (code === 'EADDRINUSE') {
      return `PORT ${port} on 127.0.0.1 is already in use (another copy of this program may be running): stop it, or set PORT to another port (0 picks a free one)`;
    }
    return `PORT ${port} on 127.0.0.1 cannot be listened on (${String(code ?? error)}): set PORT to another port (0 picks a free one)`;
  }
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return undefined;
}
