// One JSON object per line on stdout: what journald, podman logs or kubectl logs collect.
const LEVELS = { debug: 10, info: 20, warn: 30, error: 40 } as const;
export type Level = keyof typeof LEVELS;

export function makeLogger(min: Level, base: Record<string, unknown> = {}) {
  const emit = (level: Level, msg: string, extra?: Record<string, unknown>) => {
    if (LEVELS[level] < LEVELS[min]) return;
    process.stdout.write(`${JSON.stringify({ time: new Date().toISOString(), level, msg, ...base, ...extra })}\n`);
  };
  return {
    debug: (m: string, e?: Record<string, unknown>) => emit('debug', m, e),
    info: (m: string, e?: Record<string, unknown>) => emit('info', m, e),
    warn: (m: string, e?: Record<string, unknown>) => emit('warn', m, e),
    error: (m: string, e?: Record<string, unknown>) => emit('error', m, e),
  };
}
export type Logger = ReturnType<typeof makeLogger>;
