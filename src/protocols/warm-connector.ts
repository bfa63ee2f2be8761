/**
 * @module protocols/warm-connector
 * Opens keep-alive connections before the load starts, so the first burst of
 * an open model does not pay TCP (and TLS) set-up inside its measurements:
 * undici asks this connector for a socket and gets a pre-opened one while
 * they last, a new one after.
 */
import type { Socket } from 'node:net';
import { buildConnector } from 'undici';

export class WarmConnector {
  private readonly base: buildConnector.connector;
  private readonly idle = new Map<string, Socket[]>();

  constructor(timeoutMs = 10_000) {
    this.base = buildConnector({ timeout: timeoutMs });
  }

  /** The connector undici calls (`new Agent({ connect: warm.connect })`). */
  readonly connect: buildConnector.connector = (options, callback) => {
    const list = this.idle.get(keyOf(options.protocol, options.hostname, options.port));
    for (let socket = list?.pop(); socket !== undefined; socket = list?.pop()) {
      // A pre-opened socket the server has closed meanwhile is dropped, not handed out.
      if (!socket.destroyed && socket.readyState === 'open') {
        socket.removeAllListeners('close');
        // Asynchronously, as a real connect would: undici's client is not ready for a same-tick answer.
        process.nextTick(callback, null, socket);
        return;
      }
    }
    this.base(options, callback);
  };

  /** Opens `count` connections to `origin` (http or https); failures are ignored: the run will report them. */
  async warm(origin: string, count: number): Promise<number> {
    const url = new URL(origin);
    const port = url.port || (url.protocol === 'https:' ? '443' : '80');
    const key = keyOf(url.protocol, url.hostname, port);
    const opened = await Promise.all(
      Array.from(
        { length: count },
        () =>
          new Promise<Socket | undefined>((resolve) =>
            this.base(
              { protocol: url.protocol, hostname: url.hostname, port, servername: url.hostname },
              (err, socket) => resolve(err === null ? (socket as Socket) : undefined),
            ),
          ),
      ),
    );
    const list = this.idle.get(key) ?? [];
    for (const socket of opened) {
      if (socket === undefined) continue;
      socket.on('close', () => list.splice(list.indexOf(socket), 1));
      list.push(socket);
    }
    this.idle.set(key, list);
    return list.length;
  }

  /** Closes the pre-opened connections that were never used. */
  close(): void {
    for (const list of this.idle.values()) for (const socket of list.splice(0)) socket.destroy();
  }
}

function keyOf(protocol: string, hostname: string, port: string): string {
  return `${protocol}//${hostname}:${port}`;
}
