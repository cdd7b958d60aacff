import { useEffect, useMemo, useState } from "react";
import type { Account, AccountSummaryEvent, Position } from "../../../src/client/core";
import { formatMoney, formatNumber, formatSigned, signClass } from "./format";
import { POLL_MS, RESYNC_MS, useLive, type Polled } from "./hooks";
import { markToMarket, QuotesPanel, useQuotes } from "./quotes";

/** An account event: the new values over the account's summary. */
function applyAccount(accounts: Account[] | undefined, e: AccountSummaryEvent): Account[] | undefined {
  if (!accounts) return accounts;
  return accounts.map((a) =>
    a.id === e.accountId ? { ...a, summary: { ...a.summary, ...e, asOf: e.asOf } as Account["summary"] } : a,
  );
}

/** A position event: replaces the position of that account and contract; quantity 0 removes it. */
function applyPosition(positions: Position[] | undefined, p: Position): Position[] | undefined {
  if (!positions) return positions;
  const same = (q: Position) => q.accountId === p.accountId && q.contract.conid === p.contract.conid;
  const at = positions.findIndex(same);
  if (p.quantity === 0) return at < 0 ? positions : positions.filter((q) => !same(q));
  if (at < 0) return [...positions, p];
  const next = [...positions];
  next[at] = p;
  return next;
}

/**
 * Accounts, positions and their quotes: a snapshot, then `accountUpdates` and `positionUpdates` keep them
 * live, and `quotes` for the held contracts marks the positions to market as prices tick (IB sends no
 * position event per price move). Nothing is polled while those streams are live, beyond a re-read once a
 * minute as a safety net. If the server refuses a subscription, that panel polls every 2 s instead.
 */
export function Portfolio() {
  const accounts = useLive(
    (c) => c.accounts(),
    (c, o) => c.accountUpdates(o),
    applyAccount,
  );
  // Without live quotes the positions' own marks are all there is: then they are re-read every 2 s.
  const [quotesDown, setQuotesDown] = useState(false);
  const held = useLive(
    (c) => c.positions(),
    (c, o) => c.positionUpdates(o),
    applyPosition,
    quotesDown ? POLL_MS : RESYNC_MS,
  );
  // The quotes subscription follows the set of held contracts: a fill opening or closing a position
  // re-subscribes; a change of quantity or value does not.
  const symbols = useMemo(
    () => new Map((held.data ?? []).map((p) => [p.contract.conid, p.contract.symbol])),
    [held.data],
  );
  const conids = useMemo(() => [...symbols.keys()], [symbols]);
  const quotes = useQuotes(conids);
  useEffect(() => setQuotesDown(quotes.error !== undefined), [quotes.error]);
  const marked: Polled<Position[]> = {
    ...held,
    data: useMemo(
      () => held.data?.map((p) => markToMarket(p, quotes.byConid.get(p.contract.conid))),
      [held.data, quotes.byConid],
    ),
  };
  return (
    <>
      <Accounts accounts={accounts} positions={marked} />
      <QuotesPanel quotes={quotes} symbols={symbols} />
      <Positions positions={marked} />
    </>
  );
}

function Accounts({ accounts, positions }: { accounts: Polled<Account[]>; positions: Polled<Position[]> }) {
  return (
    <section className="panel accounts" aria-labelledby="accounts-h">
      <h2 id="accounts-h">Accounts</h2>
      {!accounts.data ? (
        <p className="empty">{accounts.error ? accounts.error.message : "Loading…"}</p>
      ) : (
        <table>
          <thead>
            <tr>
              <th scope="col">Account</th>
              <th scope="col" className="num">
                Net liquidation
              </th>
              <th scope="col" className="num">
                Cash
              </th>
              <th scope="col" className="num">
                Buying power
              </th>
              <th scope="col" className="num" title="Today's P&L of the account, as the broker reports it">
                Daily P&amp;L
              </th>
              <th scope="col" className="num" title="Sum over open positions (unrealized + realized)">
                P&amp;L
              </th>
            </tr>
          </thead>
          <tbody>
            {accounts.data.map((a) => (
              <AccountRow key={a.id} account={a} positions={positions.data ?? []} />
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}

function AccountRow({ account, positions }: { account: Account; positions: Position[] }) {
  const ccy = account.summary?.currency ?? account.currency ?? "USD";
  const mine = positions.filter((p) => p.accountId === account.id);
  const pnl = mine.length
    ? mine.reduce((sum, p) => sum + (p.unrealizedPnl ?? 0) + (p.realizedPnl ?? 0), 0)
    : null;
  return (
    <tr data-testid={`account-${account.id}`}>
      <th scope="row">
        {account.id} <span className={`tag ${account.type.toLowerCase()}`}>{account.type}</span>
      </th>
      <td className="num" data-testid="net-liquidation">
        {formatMoney(account.summary?.netLiquidation, ccy)}
      </td>
      <td className="num">{formatMoney(account.summary?.totalCash, ccy)}</td>
      <td className="num">{formatMoney(account.summary?.buyingPower, ccy)}</td>
      <td className={`num ${signClass(account.summary?.dailyPnl)}`} data-testid="daily-pnl">
        {formatSigned(account.summary?.dailyPnl, ccy)}
      </td>
      <td className={`num ${signClass(pnl)}`}>{formatSigned(pnl, ccy)}</td>
    </tr>
  );
}

function Positions({ positions }: { positions: Polled<Position[]> }) {
  return (
    <section className="panel positions" aria-labelledby="positions-h">
      <h2 id="positions-h">Positions</h2>
      {!positions.data ? (
        <p className="empty">{positions.error ? positions.error.message : "Loading…"}</p>
      ) : positions.data.length === 0 ? (
        <p className="empty">No positions.</p>
      ) : (
        <table>
          <thead>
            <tr>
              <th scope="col">Account</th>
              <th scope="col">Symbol</th>
              <th scope="col" className="num">
                Quantity
              </th>
              <th scope="col" className="num">
                Avg cost
              </th>
              <th scope="col" className="num">
                Price
              </th>
              <th scope="col" className="num">
                Market value
              </th>
              <th scope="col" className="num">
                Unrealized P&amp;L
              </th>
            </tr>
          </thead>
          <tbody>
            {positions.data.map((p) => (
              <tr key={`${p.accountId}:${p.contract.conid}`} data-testid={`position-${p.contract.symbol}`}>
                <td>{p.accountId}</td>
                <th scope="row">{p.contract.symbol}</th>
                <td className={`num ${signClass(p.quantity)}`}>{formatNumber(p.quantity)}</td>
                <td className="num">{formatMoney(p.averageCost, p.contract.currency)}</td>
                <td className="num" data-testid="market-price">
                  {formatMoney(p.marketPrice, p.contract.currency)}
                </td>
                <td className="num" data-testid="market-value">
                  {formatMoney(p.marketValue, p.contract.currency)}
                </td>
                <td className={`num ${signClass(p.unrealizedPnl)}`} data-testid="unrealized-pnl">
                  {formatSigned(p.unrealizedPnl, p.contract.currency)}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}
