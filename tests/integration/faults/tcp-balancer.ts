import net from 'node:net';

/**
 * A small TCP balancer (and, with one backend, a cuttable proxy) for the fault tests. New
 * connections go round-robin to the backends that accept them: a backend that refuses is skipped,
 * as a load balancer's health check would. `cut()` drops every connection and refuses new ones,
 * which is what a lost network path to a database looks like; `restore()` undoes it.
 */
export class TcpBalancer {
  private readonly server: net.Server;
  private readonly pairs = new Set<{ client: net.Socket; upstream: net.Socket; backend: number }>();
  private next = 0;
  private refusing = false;
  port = 0;

  constructor(private readonly backends: readonly number[]) {
    this.server = net.createServer((client) => this.accept(client));
  }

  static async start(backends: readonly number[], port = 0): Promise<TcpBalancer> {
    const balancer = new TcpBalancer(backends);
    await new Promise<void>((resolve, reject) => {
      balancer.server.once('error', reject);
      balancer.server.listen(port, '127.0.0.1', () => resolve());
    });
    balancer.port = (balancer.server.address() as net.AddressInfo).port;
    return balancer;
  }

  get origin(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  /** Open connections per backend port. */
  connectionsTo(backendPort: number): number {
    return [...this.pairs].filter((pair) => this.backends[pair.backend] === backendPort).length;
  }

  cut(): void {
    this.refusing = true;
    for (const pair of this.pairs) {
      pair.client.destroy();
      pair.upstream.destroy();
    }
    this.pairs.clear();
  }

  restore(): void {
    this.refusing = false;
  }

  async close(): Promise<void> {
    this.cut();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private accept(client: net.Socket): void {
    client.on('error', () => client.destroy());
    if (this.refusing) {
      client.destroy();
      return;
    }
    client.pause();
    this.connect(client, 0);
  }

  private connect(client: net.Socket, attempt: number): void {
    if (attempt >= this.backends.length || client.destroyed) {
      client.destroy();
      return;
    }
    const backend = this.next++ % this.backends.length;
    const upstream = net.connect(this.backends[backend]!, '127.0.0.1');
    let connected = false;
    upstream.once('error', () => {
      if (!connected) this.connect(client, attempt + 1);
    });
    upstream.once('connect', () => {
      connected = true;
      const pair = { client, upstream, backend };
      this.pairs.add(pair);
      const drop = () => {
        this.pairs.delete(pair);
        client.destroy();
        upstream.destroy();
      };
      upstream.on('error', drop);
      client.on('error', drop);
      upstream.on('close', drop);
      client.on('close', drop);
      client.pipe(upstream);
      upstream.pipe(client);
      client.resume();
    });
  }
}

/** A port that was free a moment ago. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}
