/** Time texts in the formats TWS uses on the wire, in the exchange time zone TWS is usually set to. */

const formatters = new Map<string, Intl.DateTimeFormat>();

function partsIn(timeZone: string, epochMs: number): Record<string, string> {
  let f = formatters.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat("en-US", {
      timeZone,
      year: "numeric",
      month: "2-digit",
      day: "2-digit",
      hour: "2-digit",
      minute: "2-digit",
      second: "2-digit",
      hourCycle: "h23",
      timeZoneName: "short",
    });
    formatters.set(timeZone, f);
  }
  const out: Record<string, string> = {};
  for (const p of f.formatToParts(new Date(epochMs))) out[p.type] = p.value;
  return out;
}

function ymdHms(p: Record<string, string>): string {
  return `${p.year}${p.month}${p.day} ${p.hour}:${p.minute}:${p.second}`;
}

/** Connection time of the first server frame: `20250102 09:30:00 EST`. */
export function connectionTimeText(epochMs: number, timeZone: string): string {
  const p = partsIn(timeZone, epochMs);
  return `${ymdHms(p)} ${p.timeZoneName ?? "UTC"}`;
}

/** Execution / completion time as new TWS versions send it: `20260413 15:27:04 US/Eastern`. */
export function tradeTimeText(epochMs: number, timeZone: string): string {
  const zoneLabel = timeZone === "America/New_York" ? "US/Eastern" : timeZone;
  return `${ymdHms(partsIn(timeZone, epochMs))} ${zoneLabel}`;
}

/** updateAccountTime: `HH:mm`. */
export function accountTimeText(epochMs: number, timeZone: string): string {
  const p = partsIn(timeZone, epochMs);
  return `${p.hour}:${p.minute}`;
}

/**
 * reqExecutions filter time, `yyyymmdd-hh:mm:ss` (also `yyyymmdd hh:mm:ss`), read in the given zone.
 * Returns epoch ms, or undefined for an empty or unreadable text (no filtering, as TWS does).
 */
export function parseFilterTime(text: string, timeZone: string): number | undefined {
  const m = /^(\d{4})(\d{2})(\d{2})[-\s](\d{2}):(\d{2})(?::(\d{2}))?/.exec(text.trim());
  if (!m) return undefined;
  const [, y, mo, d, h, mi, s] = m;
  const asUtc = Date.UTC(Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi), Number(s ?? "0"));
  // Shift by the zone's offset at that moment (two passes settle DST edges).
  let guess = asUtc;
  for (let i = 0; i < 2; i += 1) {
    const p = partsIn(timeZone, guess);
    const shown = Date.UTC(
      Number(p.year),
      Number(p.month) - 1,
      Number(p.day),
      Number(p.hour),
      Number(p.minute),
      Number(p.second),
    );
    guess += asUtc - shown;
  }
  return guess;
}
