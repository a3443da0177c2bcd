// What the supervision's APIs and the alert receiver give back, with no dependency (shared by the
// controller's SSH client, remote.ts, and the report job that runs on the mon server, report-job.ts).

export interface PromSample {
  metric: Record<string, string>;
  value: [number, string];
}

/** One notification as the receiver stored it. */
export interface ReceivedEvent {
  received: string;
  team: string;
  receiver: string;
  status: string;
  groupKey: string;
  alerts: {
    alertname: string;
    status: string;
    severity: string;
    team: string;
    instance: string;
    env: string;
    startsAt: string;
    endsAt: string;
    summary: string;
    fingerprint: string;
    labels: Record<string, string>;
  }[];
}

/** Parse the event log (one JSON object per line); unreadable lines are skipped. */
export function parseEvents(text: string): ReceivedEvent[] {
  const out: ReceivedEvent[] = [];
  for (const line of text.split('\n')) {
    if (!line.trim()) continue;
    try {
      const e = JSON.parse(line) as ReceivedEvent;
      if (e && typeof e.received === 'string' && Array.isArray(e.alerts)) out.push(e);
    } catch {
      // a line cut by a crash: ignore it
    }
  }
  return out;
}

export interface PromRangeSeries {
  metric: Record<string, string>;
  values: [number, string][];
}
