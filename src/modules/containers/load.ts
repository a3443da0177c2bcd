// A bounded load loop: a few concurrent clients send GET requests to one address until told to
// stop, or until a request count or a time limit is reached (it always stops by itself). It counts
// every answer that is not a 200 and every connection error as a failed request.

export interface LoadResult {
  total: number;
  failed: number;
  /** The first few failures, for the report. */
  samples: string[];
  seconds: number;
}

export interface LoadLoop {
  stop(): Promise<LoadResult>;
}

export function startLoad(
  base: string,
  opts: { concurrency?: number; maxRequests?: number; maxSeconds?: number; paths?: string[] } = {},
): LoadLoop {
  const concurrency = opts.concurrency ?? 2;
  const maxRequests = opts.maxRequests ?? 50_000;
  const deadline = Date.now() + (opts.maxSeconds ?? 600) * 1000;
  const paths = opts.paths ?? ['/api/items?limit=5', '/version', '/healthz'];
  const started = Date.now();
  let stopped = false;
  let total = 0;
  let failed = 0;
  const samples: string[] = [];
  const client = async () => {
    while (!stopped && total < maxRequests && Date.now() < deadline) {
      const p = paths[total % paths.length]!;
      total += 1;
      try {
        const res = await fetch(`${base}${p}`, { signal: AbortSignal.timeout(5000) });
        await res.arrayBuffer();
        if (res.status !== 200) {
          failed += 1;
          if (samples.length < 5) samples.push(`${p}: HTTP ${res.status}`);
        }
      } catch (err) {
        failed += 1;
        if (samples.length < 5) samples.push(`${p}: ${String((err as Error).cause ?? (err as Error).message)}`);
      }
    }
  };
  const clients = Array.from({ length: concurrency }, client);
  return {
    async stop() {
      stopped = true;
      await Promise.all(clients);
      return { total, failed, samples, seconds: (Date.now() - started) / 1000 };
    },
  };
}
