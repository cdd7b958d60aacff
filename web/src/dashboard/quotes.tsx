import { useEffect, useMemo, useRef, useState } from "react";
import type { Position, Quote } from "../../../src/client/core";
import { formatMoney, formatSigned, formatTime, signClass } from "./format";
import { asClientError, useUi } from "./hooks";

/** A refused quotes subscription is tried again after this long. */
const RETRY_MS = 30_000;

export interface LiveQuotes {
  /** The latest quote per conid. */
  byConid: ReadonlyMap<number, Quote>;
  /** Set while the subscription is refused (market data not permitted, an older server): positions poll. */
  error: string | undefined;
}

/**
 * Follows `quotes` for these contracts. The subscription is replaced when the set of conids changes (a
 * position opened or closed), not when their order or their positions' values change. Each event replaces
 * its contract's quote; a joining subscriber gets the current quote of each contract first.
 */
export function useQuotes(conids: readonly number[]): LiveQuotes {
  const ui = useUi();
  const key = useMemo(() => [...new Set(conids)].sort((a, b) => a - b).join(","), [conids]);
  const [byConid, setByConid] = useState<ReadonlyMap<number, Quote>>(new Map());
  const [error, setError] = useState<string>();
  /** Bumped to subscribe again a while after a refusal (permissions granted, a line freed). */
  const [attempt, setAttempt] = useState(0);
  const refs = useRef(ui);
  refs.current = ui;

  useEffect(() => {
    if (!key) return;
    const wanted = new Set(key.split(",").map(Number));
    // Quotes of contracts no longer held are dropped, so a reopened position never shows an old price.
    setByConid((m) => new Map([...m].filter(([conid]) => wanted.has(conid))));
    let retry: ReturnType<typeof setTimeout> | undefined;
    const stream = ui.client.quoteUpdates({
      contracts: [...wanted].map((conid) => ({ conid })),
      onEvent: (q) => {
        setError(undefined); // a refusal of an earlier attempt is over (React skips an unchanged state)
        setByConid((m) => new Map(m).set(q.contract.conid, q));
      },
      onStatus: (s) => {
        if (s.state === "live") refs.current.reportOk("ws");
      },
      onError: (e) => {
        const err = asClientError(e);
        setError(`${err.code}: ${err.message}`);
        refs.current.report(err);
        retry = setTimeout(() => setAttempt((n) => n + 1), RETRY_MS);
      },
    });
    return () => {
      clearTimeout(retry);
      void stream.close();
    };
  }, [ui, key, attempt]);

  return { byConid, error };
}

/** The price a position is marked at: the last trade, else the middle of the spread, else IB's mark. */
export function markPrice(q: Quote): number | null {
  if (q.last != null && q.last > 0) return q.last;
  if (q.bid != null && q.ask != null && q.bid > 0 && q.ask > 0) return (q.bid + q.ask) / 2;
  return q.mark ?? null;
}

/**
 * The position marked to its latest quote, when the quote is newer than the position's own mark. The
 * multiplier is read off the position itself (market value ÷ price ÷ quantity as the broker computed them),
 * so futures and options come out right without knowing their contract terms, and the P&L moves by exactly
 * the change in market value.
 */
export function markToMarket(p: Position, q: Quote | undefined): Position {
  if (!q || q.asOf < p.asOf) return p;
  const price = markPrice(q);
  if (price == null || price === p.marketPrice) return p;
  const perPoint = p.marketValue != null && p.marketPrice ? p.marketValue / p.marketPrice : p.quantity;
  const marketValue = perPoint * price;
  const unrealizedPnl =
    p.unrealizedPnl != null && p.marketValue != null
      ? p.unrealizedPnl + (marketValue - p.marketValue)
      : p.averageCost != null
        ? marketValue - p.quantity * p.averageCost
        : null;
  return { ...p, marketPrice: price, marketValue, unrealizedPnl, asOf: q.asOf };
}

/** Bid, ask and last of the held contracts, as they tick. */
export function QuotesPanel({
  quotes,
  symbols,
}: {
  quotes: LiveQuotes;
  symbols: ReadonlyMap<number, string>;
}) {
  const rows = [...symbols].sort((a, b) => a[1].localeCompare(b[1]));
  return (
    <section className="panel quotes" aria-labelledby="quotes-h">
      <h2 id="quotes-h">Quotes</h2>
      {quotes.error && (
        <p className="error" role="alert">
          Live quotes unavailable ({quotes.error}); positions are re-read every 2 s instead.
        </p>
      )}
      {rows.length === 0 ? (
        <p className="empty">Quotes of the contracts you hold appear here.</p>
      ) : (
        <table>
          <thead>
            <tr>
              <th scope="col">Symbol</th>
              <th scope="col" className="num">
                Bid
              </th>
              <th scope="col" className="num">
                Ask
              </th>
              <th scope="col" className="num">
                Last
              </th>
              <th scope="col" className="num" title="Last against the previous session's close">
                Change
              </th>
            </tr>
          </thead>
          <tbody>
            {rows.map(([conid, symbol]) => {
              const q = quotes.byConid.get(conid);
              const ccy = q?.contract.currency ?? "USD";
              const change = q?.last != null && q.close != null ? q.last - q.close : null;
              return (
                <tr
                  key={conid}
                  data-testid={`quote-${symbol}`}
                  data-conid={conid}
                  title={q ? `as of ${formatTime(q.asOf)} via ${q.source}` : "waiting for the first quote"}
                >
                  <th scope="row">
                    {symbol}
                    {q?.delayed && <span className="tag"> delayed</span>}
                  </th>
                  <td className="num" data-testid="bid" title={q?.bidSize != null ? `size ${q.bidSize}` : ""}>
                    {formatMoney(q?.bid, ccy)}
                  </td>
                  <td className="num" data-testid="ask" title={q?.askSize != null ? `size ${q.askSize}` : ""}>
                    {formatMoney(q?.ask, ccy)}
                  </td>
                  <td className="num" data-testid="last" data-last={q?.last ?? ""}>
                    {formatMoney(q?.last, ccy)}
                  </td>
                  <td className={`num ${signClass(change)}`}>
                    {change == null ? "—" : formatSigned(change, ccy)}
                  </td>
                </tr>
              );
            })}
          </tbody>
        </table>
      )}
    </section>
  );
}
