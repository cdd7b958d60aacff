import type { CursorCheck, CursorPosition, JournalBounds } from "./store";

/**
 * Cursor format: base64url of `<journalId>:<sequence>` (no padding), e.g. the journal
 * `5f0c…-…` at sequence 42 is base64url("5f0c…:42"). Opaque to clients: they hand it back as they got it.
 * The journal id makes a cursor from another database (a restored backup, a second deployment) detectable
 * instead of silently meaning a different position.
 */
export function encodeCursor(journalId: string, sequence: number): string {
  return Buffer.from(`${journalId}:${sequence}`, "utf8").toString("base64url");
}

/** Undefined for anything that is not a cursor this code wrote. */
export function parseCursor(cursor: string): CursorPosition | undefined {
  if (cursor.length === 0 || cursor.length > 200 || !/^[A-Za-z0-9_-]+$/.test(cursor)) return undefined;
  const text = Buffer.from(cursor, "base64url").toString("utf8");
  const match = /^([0-9a-f-]{36}):(0|[1-9][0-9]{0,15})$/.exec(text);
  if (!match) return undefined;
  const sequence = Number(match[2]);
  if (!Number.isSafeInteger(sequence)) return undefined;
  return { journalId: match[1] as string, sequence };
}

/**
 * A cursor "after s" can be honoured only if every event after s is still stored (s >= purgedThrough), s was
 * ever assigned here (s <= last), and it names this journal.
 */
export function checkCursor(cursor: string, journalId: string, bounds: JournalBounds): CursorCheck {
  const position = parseCursor(cursor);
  if (!position) {
    return { ok: false, reason: "MALFORMED", message: "The cursor is not one this server issued.", bounds };
  }
  if (position.journalId !== journalId) {
    return {
      ok: false,
      reason: "OTHER_JOURNAL",
      message:
        "The cursor belongs to another journal (another database); re-read the current state and resume from its cursor.",
      bounds,
    };
  }
  if (position.sequence < bounds.purgedThrough) {
    return {
      ok: false,
      reason: "PURGED",
      message: `Events after sequence ${position.sequence} were removed by retention (kept from ${bounds.purgedThrough + 1}); re-read the current state.`,
      bounds,
    };
  }
  if (position.sequence > bounds.last) {
    return {
      ok: false,
      reason: "AHEAD",
      message: `The cursor (sequence ${position.sequence}) is ahead of this journal (last ${bounds.last}).`,
      bounds,
    };
  }
  return { ok: true, afterSequence: position.sequence };
}
