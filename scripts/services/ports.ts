import net from 'node:net';

// Everything docflow starts listens on loopback only; probing another interface would
// answer a different question than "can our server bind here".
const LOOPBACK = '127.0.0.1';

/**
 * Asks the kernel for an unused TCP port, so tests can run several stacks side by side
 * without fixed ports colliding. The port is released before returning: a tiny race with
 * other processes remains, which callers accept rather than holding sockets open.
 */
export function findFreePort(host: string = LOOPBACK): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.once('error', reject);
    server.listen({ host, port: 0, exclusive: true }, () => {
      const address = server.address();
      if (address === null || typeof address === 'string') {
        server.close(() => reject(new Error('could not read the port the kernel assigned')));
        return;
      }
      server.close(() => resolve(address.port));
    });
  });
}

/**
 * Tells whether something already accepts connections on a port, so a start helper can
 * decide between starting its own server and probing (and maybe reusing) the existing one.
 */
export function isPortOpen(port: number, host: string = LOOPBACK, timeoutMs = 1_000): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host, port });
    const finish = (open: boolean): void => {
      socket.removeAllListeners();
      socket.destroy();
      resolve(open);
    };
    socket.setTimeout(timeoutMs, () => finish(false));
    socket.once('connect', () => finish(true));
    socket.once('error', () => finish(false));
  });
}
