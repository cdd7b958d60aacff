/**
 * The requests the simulator does not serve, and how each is answered (market data and historical bars are
 * served by tws-market-data.ts). A real TWS answers every request with
 * data or an error carrying the request's id; silence would leave a client waiting for its own timeout.
 */
import { OutMsg, TwsError } from "./tws-protocol";
import { ServerVersion as V } from "./tws-versions";

export interface UnservedRequest {
  name: string;
  /** Index of the request id among the fields at version `v`; `null` when the request carries none. */
  reqIdAt: (v: number) => number | null;
  /** The error answered; `null` for a cancel, which TWS does not acknowledge either. */
  error: { code: number; text: string } | null;
}

const NOT_SUBSCRIBED = {
  code: TwsError.MARKET_DATA_NOT_SUBSCRIBED,
  text: "Requested market data is not subscribed.",
};
const NO_HMDS = {
  code: TwsError.HISTORICAL_DATA_ERROR,
  text: "Historical Market Data Service error message:No market data permissions (simulated gateway).",
};
const notSupported = (name: string): { code: number; text: string } => ({
  code: TwsError.ERROR_VALIDATING_REQUEST,
  text: `Error validating request.-'${name}' : cause - not supported by the simulated gateway`,
});

/** Most V100+ requests: `[id, version, reqId, …]`; the newer ones dropped the version field. */
const afterVersion = (): number => 2;
const afterId = (): number => 1;
const none = (): null => null;

function entry(
  name: string,
  reqIdAt: (v: number) => number | null,
  error: { code: number; text: string } | null = notSupported(name),
): UnservedRequest {
  return { name, reqIdAt, error };
}

export const UNSERVED_REQUESTS: ReadonlyMap<number, UnservedRequest> = new Map<number, UnservedRequest>([
  [OutMsg.REQ_MKT_DEPTH, entry("reqMktDepth", afterVersion, NOT_SUBSCRIBED)],
  [OutMsg.CANCEL_MKT_DEPTH, entry("cancelMktDepth", afterVersion, null)],
  [OutMsg.REQ_NEWS_BULLETINS, entry("reqNewsBulletins", none)],
  [OutMsg.CANCEL_NEWS_BULLETINS, entry("cancelNewsBulletins", none, null)],
  [OutMsg.REQ_FA, entry("requestFA", none)],
  // replaceFA carries a request id after the FA XML from REPLACE_FA_END on.
  [OutMsg.REPLACE_FA, entry("replaceFA", (v) => (v >= V.REPLACE_FA_END ? 4 : null))],
  [OutMsg.EXERCISE_OPTIONS, entry("exerciseOptions", afterVersion)],
  [
    OutMsg.REQ_SCANNER_SUBSCRIPTION,
    entry("reqScannerSubscription", (v) => (v >= V.SCANNER_GENERIC_OPTS ? 1 : 2), NO_HMDS),
  ],
  [OutMsg.CANCEL_SCANNER_SUBSCRIPTION, entry("cancelScannerSubscription", afterVersion, null)],
  [OutMsg.REQ_SCANNER_PARAMETERS, entry("reqScannerParameters", none)],
  [OutMsg.REQ_REAL_TIME_BARS, entry("reqRealTimeBars", afterVersion, NO_HMDS)],
  [OutMsg.CANCEL_REAL_TIME_BARS, entry("cancelRealTimeBars", afterVersion, null)],
  [OutMsg.REQ_FUNDAMENTAL_DATA, entry("reqFundamentalData", afterVersion)],
  [OutMsg.CANCEL_FUNDAMENTAL_DATA, entry("cancelFundamentalData", afterVersion, null)],
  [OutMsg.REQ_CALC_IMPLIED_VOLAT, entry("calculateImpliedVolatility", afterVersion)],
  [OutMsg.REQ_CALC_OPTION_PRICE, entry("calculateOptionPrice", afterVersion)],
  [OutMsg.CANCEL_CALC_IMPLIED_VOLAT, entry("cancelCalculateImpliedVolatility", afterVersion, null)],
  [OutMsg.CANCEL_CALC_OPTION_PRICE, entry("cancelCalculateOptionPrice", afterVersion, null)],
  [OutMsg.VERIFY_REQUEST, entry("verifyRequest", none)],
  [OutMsg.VERIFY_MESSAGE, entry("verifyMessage", none)],
  [OutMsg.QUERY_DISPLAY_GROUPS, entry("queryDisplayGroups", afterVersion)],
  [OutMsg.SUBSCRIBE_TO_GROUP_EVENTS, entry("subscribeToGroupEvents", afterVersion)],
  [OutMsg.UPDATE_DISPLAY_GROUP, entry("updateDisplayGroup", afterVersion)],
  [OutMsg.UNSUBSCRIBE_FROM_GROUP_EVENTS, entry("unsubscribeFromGroupEvents", afterVersion, null)],
  [OutMsg.VERIFY_AND_AUTH_REQUEST, entry("verifyAndAuthRequest", none)],
  [OutMsg.VERIFY_AND_AUTH_MESSAGE, entry("verifyAndAuthMessage", none)],
  [OutMsg.REQ_SEC_DEF_OPT_PARAMS, entry("reqSecDefOptParams", afterId)],
  [OutMsg.REQ_SOFT_DOLLAR_TIERS, entry("reqSoftDollarTiers", afterId)],
  [OutMsg.REQ_FAMILY_CODES, entry("reqFamilyCodes", none)],
  [OutMsg.REQ_MATCHING_SYMBOLS, entry("reqMatchingSymbols", afterId)],
  [OutMsg.REQ_MKT_DEPTH_EXCHANGES, entry("reqMktDepthExchanges", none)],
  [OutMsg.REQ_SMART_COMPONENTS, entry("reqSmartComponents", afterId)],
  [OutMsg.REQ_NEWS_ARTICLE, entry("reqNewsArticle", afterId)],
  [OutMsg.REQ_NEWS_PROVIDERS, entry("reqNewsProviders", none)],
  [OutMsg.REQ_HISTORICAL_NEWS, entry("reqHistoricalNews", afterId)],
  [OutMsg.REQ_HEAD_TIMESTAMP, entry("reqHeadTimeStamp", afterId, NO_HMDS)],
  [OutMsg.REQ_HISTOGRAM_DATA, entry("reqHistogramData", afterId, NO_HMDS)],
  [OutMsg.CANCEL_HISTOGRAM_DATA, entry("cancelHistogramData", afterId, null)],
  [OutMsg.CANCEL_HEAD_TIMESTAMP, entry("cancelHeadTimestamp", afterId, null)],
  [OutMsg.REQ_MARKET_RULE, entry("reqMarketRule", none)],
  [OutMsg.REQ_HISTORICAL_TICKS, entry("reqHistoricalTicks", afterId, NO_HMDS)],
  [OutMsg.REQ_TICK_BY_TICK_DATA, entry("reqTickByTickData", afterId, NOT_SUBSCRIBED)],
  [OutMsg.CANCEL_TICK_BY_TICK_DATA, entry("cancelTickByTickData", afterId, null)],
  [OutMsg.REQ_WSH_META_DATA, entry("reqWshMetaData", afterId)],
  [OutMsg.CANCEL_WSH_META_DATA, entry("cancelWshMetaData", afterId, null)],
  [OutMsg.REQ_WSH_EVENT_DATA, entry("reqWshEventData", afterId)],
  [OutMsg.CANCEL_WSH_EVENT_DATA, entry("cancelWshEventData", afterId, null)],
  [OutMsg.REQ_USER_INFO, entry("reqUserInfo", afterId)],
]);
