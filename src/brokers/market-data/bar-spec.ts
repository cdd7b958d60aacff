/**
 * Historical-data requests checked against what IB serves: an ISO 8601 duration in, IB's duration string
 * out, and IB's "duration → bar size" step table (TWS API, Historical Data Limitations) as the allowed range.
 */
import { badInput } from "../../errors";
import { BarSize, BarSource } from "../../schema/market-data.enums";
import type { BarQuery } from "./market-data.types";

const DAY = 86_400;

/** Seconds per bar. */
export const BAR_SECONDS: Record<BarSize, number> = {
  [BarSize.SECONDS_5]: 5,
  [BarSize.MINUTE_1]: 60,
  [BarSize.MINUTE_5]: 300,
  [BarSize.MINUTE_15]: 900,
  [BarSize.MINUTE_30]: 1800,
  [BarSize.HOUR_1]: 3600,
  [BarSize.DAY_1]: DAY,
  [BarSize.WEEK_1]: 7 * DAY,
  [BarSize.MONTH_1]: 30 * DAY,
};

/** TWS `barSizeSetting`. */
export const TWS_BAR_SIZE: Record<BarSize, string> = {
  [BarSize.SECONDS_5]: "5 secs",
  [BarSize.MINUTE_1]: "1 min",
  [BarSize.MINUTE_5]: "5 mins",
  [BarSize.MINUTE_15]: "15 mins",
  [BarSize.MINUTE_30]: "30 mins",
  [BarSize.HOUR_1]: "1 hour",
  [BarSize.DAY_1]: "1 day",
  [BarSize.WEEK_1]: "1 week",
  [BarSize.MONTH_1]: "1 month",
};

/** Client Portal `bar`. */
export const CP_BAR_SIZE: Record<BarSize, string> = {
  [BarSize.SECONDS_5]: "5secs",
  [BarSize.MINUTE_1]: "1min",
  [BarSize.MINUTE_5]: "5min",
  [BarSize.MINUTE_15]: "15min",
  [BarSize.MINUTE_30]: "30min",
  [BarSize.HOUR_1]: "1h",
  [BarSize.DAY_1]: "1d",
  [BarSize.WEEK_1]: "1w",
  [BarSize.MONTH_1]: "1m",
};

/** TWS `whatToShow`; Client Portal takes the same words lower-case in `source`. */
export const TWS_WHAT_TO_SHOW: Record<BarSource, string> = {
  [BarSource.TRADES]: "TRADES",
  [BarSource.MIDPOINT]: "MIDPOINT",
  [BarSource.BID]: "BID",
  [BarSource.ASK]: "ASK",
};

/**
 * The longest duration IB serves per bar size, from its step table (60 S–1800 S: 1 sec up; 3600 S: 5 secs
 * up; 1 D: 1 min up; 1 W: 3 mins up; 1 M: 30 mins up; 1 Y and more: 1 day up), as seconds and ISO text.
 */
export const MAX_DURATION: Record<BarSize, { seconds: number; iso: string }> = {
  [BarSize.SECONDS_5]: { seconds: 3600, iso: "PT1H" },
  [BarSize.MINUTE_1]: { seconds: DAY, iso: "P1D" },
  [BarSize.MINUTE_5]: { seconds: 7 * DAY, iso: "P1W" },
  [BarSize.MINUTE_15]: { seconds: 7 * DAY, iso: "P1W" },
  [BarSize.MINUTE_30]: { seconds: 30 * DAY, iso: "P1M" },
  [BarSize.HOUR_1]: { seconds: 30 * DAY, iso: "P1M" },
  [BarSize.DAY_1]: { seconds: 20 * 365 * DAY, iso: "P20Y" },
  [BarSize.WEEK_1]: { seconds: 20 * 365 * DAY, iso: "P20Y" },
  [BarSize.MONTH_1]: { seconds: 20 * 365 * DAY, iso: "P20Y" },
};

const ISO_DURATION = /^P(?:(\d+)Y)?(?:(\d+)M)?(?:(\d+)W)?(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+)S)?)?$/;

/** An ISO 8601 duration (`P5D`, `PT4H`, `P1Y`, `P2W`, `P1DT12H`) as seconds and as IB's duration string. */
export function parseDuration(text: string): { seconds: number; ib: string } {
  const m = ISO_DURATION.exec(text.trim().toUpperCase());
  if (!m || text.trim().toUpperCase() === "P" || /T$/.test(text.trim())) {
    throw badInput(
      `duration "${text}" is not an ISO 8601 duration; write e.g. "P5D", "PT4H", "P2W", "P1M" or "P1Y".`,
      { field: "duration" },
    );
  }
  const [y, mo, w, d, h, mi, s] = m.slice(1).map((v) => Number(v ?? 0)) as [
    number,
    number,
    number,
    number,
    number,
    number,
    number,
  ];
  const seconds = y * 365 * DAY + mo * 30 * DAY + w * 7 * DAY + d * DAY + h * 3600 + mi * 60 + s;
  if (seconds <= 0) throw badInput(`duration "${text}" is empty.`, { field: "duration" });
  let ib: string;
  const only = (n: number) => [y, mo, w, d, h + mi + s].filter((v) => v > 0).length === 1 && n > 0;
  if (only(y)) ib = `${y} Y`;
  else if (only(mo)) ib = `${mo} M`;
  else if (only(w)) ib = `${w} W`;
  else if (only(d)) ib = `${d} D`;
  else if (seconds <= DAY) ib = `${seconds} S`;
  else ib = `${Math.ceil(seconds / DAY)} D`;
  return { seconds, ib };
}

/** Checks a bars request against IB's limits; BAD_USER_INPUT names the allowed range. */
export function barQuery(args: {
  barSize: BarSize;
  duration: string;
  end?: Date | null;
  source?: BarSource | null;
  outsideRth?: boolean | null;
}): BarQuery {
  const { seconds, ib } = parseDuration(args.duration);
  const max = MAX_DURATION[args.barSize];
  const size = TWS_BAR_SIZE[args.barSize];
  if (seconds > max.seconds) {
    throw badInput(
      `IB serves ${size} bars for a duration of at most ${max.iso} per request (got ${args.duration}); ask ` +
        `for a shorter duration or a larger bar size.`,
      { field: "duration", barSize: args.barSize, maxDuration: max.iso },
    );
  }
  if (seconds < BAR_SECONDS[args.barSize] && BAR_SECONDS[args.barSize] < DAY) {
    throw badInput(`duration ${args.duration} is shorter than one ${size} bar; ask for at least one bar.`, {
      field: "duration",
      barSize: args.barSize,
    });
  }
  if (args.end && Number.isNaN(args.end.getTime()))
    throw badInput("end is not a valid time.", { field: "end" });
  return {
    barSize: args.barSize,
    durationSeconds: seconds,
    ibDuration: ib,
    end: args.end ?? null,
    source: args.source ?? BarSource.TRADES,
    outsideRth: args.outsideRth ?? false,
  };
}
