// A TCP proxy in front of a node (anvil) that a fault test switches off and on. Off: 'refuse' stops listening
// and cuts every open connection (connection refused, as when the node is down); 'blackhole' keeps accepting
// but never forwards or answers (as when a network path drops packets), so only the client's timeout helps.
import { connect, createServer, type Server, type Socket } from 'node:net';

export type OutageMode = 'refuse' | 'blackhole';

export class TcpProxy {
  readonly port: number;
  readonly #target: { host: string; port: number };
  #server: Server | undefined;
  #mode: 'on' | OutageMode = 'on';
  readonly #sockets = new Set<Socket>();
  connections = 0;

  private constructor(port: number, target: { host: string; port: number }) {
    this.port = port;
    this.#target = target;
  }

  /** Listens on `port` (0: any free one) and forwards to `target` (http://host:port). */
  static async start(target: string, port = 0): Promise<TcpProxy> {
    const url = new URL(target);
    const proxy = new TcpProxy(port, { host: url.hostname, port: Number(url.port) });
    const bound = await proxy.#listen(port);
    (proxy as { port: number }).port = bound;
    return proxy;
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  get mode(): 'on' | OutageMode {
    return this.#mode;
  }

  async off(mode: OutageMode = 'refuse'): Promise<void> {
    this.#mode = mode;
    for (const socket of this.#sockets) socket.destroy();
    this.#sockets.clear();
    if (mode === 'refuse') await this.#close();
    else if (this.#server === undefined) await this.#listen(this.port);
  }

  async on(): Promise<void> {
    this.#mode = 'on';
    for (const socket of this.#sockets) socket.destroy(); // held blackhole connections
    this.#sockets.clear();
    if (this.#server === undefined) await this.#listen(this.port);
  }

  async stop(): Promise<void> {
    for (const socket of this.#sockets) socket.destroy();
    await this.#close();
  }

  #listen(port: number): Promise<number> {
    const server = createServer((client) => this.#accept(client));
    this.#server = server;
    return new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => {
        const address = server.address();
        resolve(typeof address === 'object' && address !== null ? address.port : port);
      });
    });
  }

  #close(): Promise<void> {
    const server = this.#server;
    this.#server = undefined;
    if (server === undefined) return Promise.resolve();
    return new Promise((resolve) => server.close(() => resolve()));
  }

  #accept(client: Socket): void {
    this.connections++;
    this.#sockets.add(client);
    client.on('error', () => {});
    client.once('close', () => this.#sockets.delete(client));
    if (this.#mode !== 'on') return; // blackhole: hold it, say nothing
    const upstream = connect(this.#target.port, this.#target.host);
    this.#sockets.add(upstream);
    upstream.on('error', () => client.destroy());
    upstream.once('close', () => {
      this.#sockets.delete(upstream);
      client.destroy();
    });
    client.once('close', () => upstream.destroy());
    client.pipe(upstream);
    upstream.pipe(client);
  }
}
