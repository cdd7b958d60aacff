/**
 * IB's gateway is a Java server that reads boolean parameters leniently, and clients send them in their own
 * language's spelling: Python clients often format a `bool` into the query string as `True`/`False`, shell
 * scripts send `1`/`0`. Reading only the exact string "true" made `orders?force=True` look like no force at all.
 */
export function parseBool(value: unknown): boolean | undefined {
  if (typeof value === "boolean") return value;
  if (typeof value === "number") return value === 1 ? true : value === 0 ? false : undefined;
  if (typeof value !== "string") return undefined;
  const v = value.trim().toLowerCase();
  if (v === "true" || v === "1") return true;
  if (v === "false" || v === "0") return false;
  return undefined;
}

/** A boolean query parameter (or body field), `fallback` when absent or unreadable. */
export function boolParam(value: unknown, fallback = false): boolean {
  return parseBool(value) ?? fallback;
}
