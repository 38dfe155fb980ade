import net from 'node:net';

// Everything docflow starts listens on loopback only; probing another interface would
// answer a different question than "can our server bind here".
const LOOPBACK = '127.0.0.1';

/**
 * Asks the kernel for an unused TCP port, so tests can run several stacks side by side
 * without fixed ports colliding. The port is released before returning: a tiny race with
 * other processes remains, which callers accept rather than holding sockets open.
 */
export async function findFreePort(host: string = LOOPBACK): Promise<number> {
  const [port] = await findFreePorts(1, host);
  return port;
}

/**
 * `count` distinct unused ports. Each one is held until all are found, so one server's two ports
 * (Temporal's frontend and its UI, say) cannot be the same port handed out twice.
 */
export async function findFreePorts(count: number, host: string = LOOPBACK): Promise<number[]> {
  const held: net.Server[] = [];
  try {
    const ports: number[] = [];
    for (let i = 0; i < count; i++) {
      const server = await listenOnAnyPort(host);
      held.push(server);
      ports.push((server.address() as net.AddressInfo).port);
    }
    return ports;
  } finally {
    await Promise.all(held.map((server) => new Promise<void>((resolve) => server.close(() => resolve()))));
  }
}

function listenOnAnyPort(host: string): Promise<net.Server> {
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
      resolve(server);
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
