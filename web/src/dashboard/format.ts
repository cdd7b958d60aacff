const money = new Map<string, Intl.NumberFormat>();

/** 1,234.56 USD style, with the currency's own symbol; a dash for unknown. */
export function formatMoney(value: number | null | undefined, currency = "USD"): string {
  if (value == null || !Number.isFinite(value)) return "—";
  let f = money.get(currency);
  if (!f) {
    try {
      f = new Intl.NumberFormat(undefined, { style: "currency", currency, currencyDisplay: "narrowSymbol" });
    } catch {
      f = new Intl.NumberFormat(undefined, { minimumFractionDigits: 2, maximumFractionDigits: 2 });
    }
    money.set(currency, f);
  }
  return f.format(value);
}

/** A signed amount: +1,234.56 / −1,234.56, for P&L. */
export function formatSigned(value: number | null | undefined, currency = "USD"): string {
  if (value == null || !Number.isFinite(value)) return "—";
  const s = formatMoney(Math.abs(value), currency);
  return value > 0 ? `+${s}` : value < 0 ? `−${s}` : s;
}

const plain = new Intl.NumberFormat(undefined, { maximumFractionDigits: 4 });
export function formatNumber(value: number | null | undefined): string {
  return value == null || !Number.isFinite(value) ? "—" : plain.format(value);
}

/** CSS class for a P&L figure: green up, red down. */
export function signClass(value: number | null | undefined): string {
  return value == null || value === 0 ? "flat" : value > 0 ? "up" : "down";
}

const time = new Intl.DateTimeFormat(undefined, {
  hour: "2-digit",
  minute: "2-digit",
  second: "2-digit",
  hour12: false,
});
export function formatTime(iso: string | null | undefined): string {
  if (!iso) return "—";
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? iso : time.format(d);
}
