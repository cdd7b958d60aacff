import { useEffect, useRef, useState, type FormEvent } from "react";
import type { OrderSide, PlaceOrderPayload, TradingMode } from "../../../src/client/core";
import { asClientError, usePolled, useUi } from "./hooks";

type Question = NonNullable<PlaceOrderPayload["confirmation"]>;

function newClientOrderId(): string {
  return `ui-${crypto.randomUUID()}`;
}

/**
 * A small order ticket: stocks, MARKET or LIMIT, DAY. Press N anywhere to jump to it. Client Portal's
 * questions ("the price is outside the limits…") open as a dialog; Esc declines.
 */
export function OrderTicket({ mode }: { mode: TradingMode }) {
  const ui = useUi();
  const accounts = usePolled((c) => c.accounts(), 30_000);
  const [accountId, setAccountId] = useState("");
  const [symbol, setSymbol] = useState("");
  const [side, setSide] = useState<OrderSide>("BUY");
  const [type, setType] = useState<"LIMIT" | "MARKET">("LIMIT");
  const [quantity, setQuantity] = useState("1");
  const [limit, setLimit] = useState("");
  const [via, setVia] = useState<"" | "TWS" | "CLIENT_PORTAL">("");
  const [busy, setBusy] = useState(false);
  const [result, setResult] = useState<{ ok: boolean; text: string }>();
  const [question, setQuestion] = useState<Question>();
  const symbolRef = useRef<HTMLInputElement>(null);
  const dialogRef = useRef<HTMLDialogElement>(null);

  const firstAccount = accounts.data?.[0]?.id;
  useEffect(() => {
    if (!accountId && firstAccount) setAccountId(firstAccount);
  }, [accountId, firstAccount]);

  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      const target = e.target as HTMLElement | null;
      if (target?.closest("input, select, textarea, button, dialog") || e.ctrlKey || e.metaKey || e.altKey)
        return;
      if (e.key === "n" || e.key === "N") {
        e.preventDefault();
        symbolRef.current?.focus();
      }
    };
    window.addEventListener("keydown", onKey);
    return () => window.removeEventListener("keydown", onKey);
  }, []);

  useEffect(() => {
    const d = dialogRef.current;
    if (!d) return;
    if (question && !d.open) d.showModal();
    if (!question && d.open) d.close();
  }, [question]);

  const settle = (payload: PlaceOrderPayload) => {
    if (payload.confirmation) {
      setQuestion(payload.confirmation);
      return;
    }
    setQuestion(undefined);
    const o = payload.order;
    setResult(
      o
        ? { ok: true, text: `${o.side} ${o.quantity} ${o.contract.symbol}: ${o.status}` }
        : { ok: true, text: "Not transmitted." },
    );
  };

  const fail = (e: unknown) => {
    const err = asClientError(e);
    setQuestion(undefined);
    setResult({ ok: false, text: `${err.code}: ${err.message}` });
    ui.report(err);
  };

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setResult(undefined);
    const qty = Number(quantity);
    const px = Number(limit);
    if (!accountId || !symbol.trim() || !(qty > 0) || (type === "LIMIT" && !(px > 0))) {
      setResult({ ok: false, text: "Account, symbol, a positive quantity and (for LIMIT) a price, please." });
      return;
    }
    setBusy(true);
    try {
      settle(
        await ui.client.placeOrder({
          accountId,
          contract: { symbol: symbol.trim().toUpperCase(), secType: "STK" },
          side,
          type,
          quantity: qty,
          limitPrice: type === "LIMIT" ? px : null,
          timeInForce: "DAY",
          clientOrderId: newClientOrderId(),
          via: via || null,
        }),
      );
    } catch (err) {
      fail(err);
    } finally {
      setBusy(false);
    }
  };

  const answer = async (confirmed: boolean) => {
    if (!question) return;
    setBusy(true);
    try {
      settle(await ui.client.confirmOrder(question.replyId, confirmed));
    } catch (err) {
      fail(err);
    } finally {
      setBusy(false);
    }
  };

  return (
    <section className={`panel ticket ${mode === "LIVE" ? "live" : ""}`} aria-labelledby="ticket-h">
      <h2 id="ticket-h">
        New order <kbd title="Press N to focus the ticket">N</kbd>
      </h2>
      {mode === "LIVE" && <p className="live-note">Live account: this sends a real order.</p>}
      <form onSubmit={submit} aria-label="Order ticket">
        <label>
          Account
          <select value={accountId} onChange={(e) => setAccountId(e.target.value)}>
            {(accounts.data ?? []).map((a) => (
              <option key={a.id} value={a.id}>
                {a.id}
              </option>
            ))}
          </select>
        </label>
        <label>
          Symbol
          <input
            ref={symbolRef}
            name="symbol"
            value={symbol}
            onChange={(e) => setSymbol(e.target.value)}
            autoComplete="off"
            spellCheck={false}
            placeholder="AAPL"
            required
          />
        </label>
        <fieldset className="side">
          <legend>Side</legend>
          {(["BUY", "SELL"] as const).map((s) => (
            <label key={s} className={s.toLowerCase()}>
              <input type="radio" name="side" value={s} checked={side === s} onChange={() => setSide(s)} />
              {s}
            </label>
          ))}
        </fieldset>
        <label>
          Type
          <select name="type" value={type} onChange={(e) => setType(e.target.value as "LIMIT" | "MARKET")}>
            <option value="LIMIT">LIMIT</option>
            <option value="MARKET">MARKET</option>
          </select>
        </label>
        <label>
          Quantity
          <input
            name="quantity"
            type="number"
            min="0"
            step="any"
            inputMode="decimal"
            value={quantity}
            onChange={(e) => setQuantity(e.target.value)}
            required
          />
        </label>
        <label>
          Limit price
          <input
            name="limit"
            type="number"
            min="0"
            step="any"
            inputMode="decimal"
            value={limit}
            disabled={type !== "LIMIT"}
            onChange={(e) => setLimit(e.target.value)}
          />
        </label>
        <label>
          Route
          <select name="via" value={via} onChange={(e) => setVia(e.target.value as typeof via)}>
            <option value="">Auto</option>
            <option value="TWS">TWS</option>
            <option value="CLIENT_PORTAL">Client Portal</option>
          </select>
        </label>
        <button type="submit" disabled={busy} className={side === "BUY" ? "buy" : "sell"}>
          {side === "BUY" ? "Buy" : "Sell"}
        </button>
      </form>
      {result && (
        <p role="status" className={result.ok ? "ok" : "error"} data-testid="ticket-result">
          {result.text}
        </p>
      )}
      <dialog
        ref={dialogRef}
        aria-labelledby="question-h"
        onCancel={(e) => {
          e.preventDefault();
          void answer(false);
        }}
      >
        <h3 id="question-h">Interactive Brokers asks</h3>
        <ul>
          {(question?.messages ?? []).map((m, i) => (
            <li key={i}>{m}</li>
          ))}
        </ul>
        <div className="actions">
          <button onClick={() => void answer(false)} disabled={busy} autoFocus>
            Don&apos;t transmit
          </button>
          <button onClick={() => void answer(true)} disabled={busy} className="confirm">
            Transmit
          </button>
        </div>
      </dialog>
    </section>
  );
}
