/**
 * A TCP proxy the harness can cut: in front of a network service (Qdrant) it forwards bytes
 * both ways while up; `down()` drops every open connection and refuses new ones until `up()`,
 * which is what clients see when the service's host becomes unreachable. Harness tooling only.
 */
import { connect, createServer, type Server, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';

/** A running proxy on a loopback port. */
export interface TcpProxy {
  /** `host:port` the clients should use instead of the target's. */
  readonly address: string;
  readonly port: number;
  /** Connections refused or cut while down, for the results table. */
  readonly refused: number;
  /** Cuts every open connection and refuses new ones. */
  down(): void;
  /** Forwards again. */
  up(): void;
  close(): Promise<void>;
}

/** Starts a proxy to `targetHost:targetPort` on a free loopback port. */
export async function startTcpProxy(targetHost: string, targetPort: number): Promise<TcpProxy> {
  /** Each open client connection and its upstream twin. */
  const open = new Map<Socket, Socket>();
  let isDown = false;
  let refused = 0;

  const cut = (client: Socket, upstream?: Socket) => {
    refused += 1;
    // A reset, not a polite FIN: the client must see a failed request, not an empty answer.
    client.resetAndDestroy();
    upstream?.destroy();
  };

  const server: Server = createServer((client) => {
    if (isDown) return cut(client);
    const upstream = connect(targetPort, targetHost);
    open.set(client, upstream);
    const forget = () => {
      open.delete(client);
      client.destroy();
      upstream.destroy();
    };
    client.on('error', forget).on('close', forget);
    upstream.on('error', forget).on('close', forget);
    client.pipe(upstream);
    upstream.pipe(client);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  return {
    address: `127.0.0.1:${port}`,
    port,
    get refused() {
      return refused;
    },
    down() {
      isDown = true;
      for (const [client, upstream] of [...open]) {
        open.delete(client);
        cut(client, upstream);
      }
    },
    up() {
      isDown = false;
    },
    async close() {
      for (const [client, upstream] of open) {
        client.destroy();
        upstream.destroy();
      }
      open.clear();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
