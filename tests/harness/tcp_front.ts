/**
 * A byte-for-byte TCP relay in front of the fake's HTTP server. Deno.serve cannot drop a connection
 * without answering; this relay can: the fake names the connection by the relay's upstream port
 * (the `remoteAddr` Deno.serve sees) and both sockets are closed before a byte of the answer is sent.
 */

export interface TcpFront {
  port: number;
  /** Closes the client connection that carries the request from this upstream port. */
  drop(upstreamPort: number): boolean;
  close(): Promise<void>;
}

export function startTcpFront(upstreamPort: number): TcpFront {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const byUpstreamPort = new Map<number, () => void>();
  const pipes = new Set<Promise<unknown>>();

  const relay = async (client: Deno.Conn) => {
    let upstream: Deno.Conn;
    try {
      upstream = await Deno.connect({ hostname: "127.0.0.1", port: upstreamPort });
    } catch {
      client.close();
      return;
    }
    const localPort = (upstream.localAddr as Deno.NetAddr).port;
    let closed = false;
    const close = () => {
      if (closed) return;
      closed = true;
      byUpstreamPort.delete(localPort);
      for (const conn of [client, upstream]) {
        try {
          conn.close();
        } catch {
          // already closed by the peer
        }
      }
    };
    byUpstreamPort.set(localPort, close);
    await Promise.allSettled([
      client.readable.pipeTo(upstream.writable),
      upstream.readable.pipeTo(client.writable),
    ]);
    close();
  };

  const accepting = (async () => {
    for await (const client of listener) {
      const pipe = relay(client);
      pipes.add(pipe);
      void pipe.finally(() => pipes.delete(pipe));
    }
  })().catch(() => {});

  return {
    port: (listener.addr as Deno.NetAddr).port,
    drop(upstreamPort) {
      const close = byUpstreamPort.get(upstreamPort);
      close?.();
      return close !== undefined;
    },
    async close() {
      listener.close();
      await accepting;
      for (const close of [...byUpstreamPort.values()]) close();
      await Promise.allSettled([...pipes]);
    },
  };
}
