import { fork, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import type { GeneratorCommand, GeneratorReply } from './messages.ts';

type ReplyOf<K extends GeneratorReply['cmd']> = Extract<GeneratorReply, { cmd: K }>;

/** The load-generator processes, driven in lock step: every command goes to all, then all answer. */
export class GeneratorPool {
  private constructor(private readonly children: ChildProcess[]) {}

  static async start(count: number): Promise<GeneratorPool> {
    const script = path.join(import.meta.dirname, 'load-generator.ts');
    const children = Array.from({ length: count }, () => fork(script, [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] }));
    const pool = new GeneratorPool(children);
    await Promise.all(children.map((child) => pool.next(child, 'started')));
    return pool;
  }

  get size(): number {
    return this.children.length;
  }

  get pids(): number[] {
    return this.children.map((child) => child.pid!);
  }

  /** Sends `commandFor(i)` to generator i and waits for every generator's `expect` reply. */
  async all<K extends GeneratorReply['cmd']>(expect: K, commandFor: (index: number) => GeneratorCommand): Promise<ReplyOf<K>[]> {
    return Promise.all(
      this.children.map((child, index) => {
        const reply = this.next(child, expect);
        child.send(commandFor(index));
        return reply;
      }),
    );
  }

  private next<K extends GeneratorReply['cmd']>(child: ChildProcess, expect: K): Promise<ReplyOf<K>> {
    return new Promise((resolve, reject) => {
      const onMessage = (message: GeneratorReply) => {
        cleanup();
        if (message.cmd === 'error') reject(new Error(`load generator ${child.pid}: ${message.message}`));
        else if (message.cmd !== expect) reject(new Error(`load generator ${child.pid} answered ${message.cmd}, expected ${expect}`));
        else resolve(message as ReplyOf<K>);
      };
      const onExit = (code: number | null) => {
        cleanup();
        reject(new Error(`load generator ${child.pid} exited with ${code}`));
      };
      const cleanup = () => {
        child.off('message', onMessage);
        child.off('exit', onExit);
      };
      child.on('message', onMessage);
      child.once('exit', onExit);
    });
  }

  close(): void {
    for (const child of this.children) {
      if (child.connected) child.send({ cmd: 'exit' } satisfies GeneratorCommand);
      setTimeout(() => child.kill('SIGKILL'), 2_000).unref();
    }
  }
}
