/**
 * Client-side decoders of the TWS server messages, written from IB's decoders (EDecoder / ib_async) for tests:
 * each reads a frame with the layout of the agreed server version and throws unless every field is consumed,
 * so a simulator frame with a field too many or too few fails the test. Deliberately independent of the
 * simulator's encoders.
 */

/** Reads fields front to back; conditional blocks depend on fields already read. */
class Reader {
  private i = 0;
  constructor(
    private readonly f: readonly string[],
    private readonly what: string,
  ) {}

  str(): string {
    const v = this.f[this.i];
    if (v === undefined) throw new Error(`${this.what}: frame ends at field ${this.i + 1}`);
    this.i += 1;
    return v;
  }
  int(): number {
    const t = this.str();
    const n = t === "" ? 0 : Number.parseInt(t, 10);
    if (Number.isNaN(n)) throw new Error(`${this.what}: field ${this.i} ${JSON.stringify(t)} is not an int`);
    return n;
  }
  num(): number {
    const t = this.str();
    const n = t === "" ? 0 : Number(t);
    if (Number.isNaN(n))
      throw new Error(`${this.what}: field ${this.i} ${JSON.stringify(t)} is not a number`);
    return n;
  }
  skip(n: number): void {
    for (let k = 0; k < n; k += 1) this.str();
  }
  end(): void {
    if (this.i !== this.f.length)
      throw new Error(`${this.what}: ${this.f.length - this.i} field(s) left after field ${this.i}`);
  }
}

export interface DecodedMessage {
  msgId: number;
  name: string;
  /** The fields a test looks at, by name. */
  values: Record<string, string | number>;
}

/** Contract header of position-like messages: conId … tradingClass (11 fields). */
function contract11(r: Reader, values: Record<string, string | number>): void {
  values.conId = r.int();
  values.symbol = r.str();
  values.secType = r.str();
  r.skip(8); // lastTradeDate, strike, right, multiplier, exchange, currency, localSymbol, tradingClass
}

function decodeOpenOrder(r: Reader, v: number, values: Record<string, string | number>): void {
  if (v < 145) r.int(); // version
  values.orderId = r.int();
  contract11(r, values);
  values.action = r.str();
  values.totalQuantity = r.num();
  values.orderType = r.str();
  values.lmtPrice = r.str();
  values.auxPrice = r.str();
  r.skip(5); // tif, ocaGroup, account, openClose, origin
  values.orderRef = r.str();
  values.clientId = r.int();
  values.permId = r.int();
  r.skip(5); // outsideRth, hidden, discretionaryAmt, goodAfterTime, sharesAllocation
  r.skip(3); // faGroup, faMethod, faPercentage
  if (v < 177) r.str(); // faProfile
  if (v >= 103) r.str(); // modelCode
  r.skip(4); // goodTillDate, rule80A, percentOffset, settlingFirm
  r.skip(3); // shortSaleSlot, designatedLocation, exemptCode
  r.skip(1); // auctionStrategy
  r.skip(5); // startingPrice, stockRefPrice, delta, stockRangeLower, stockRangeUpper
  r.skip(1); // displaySize
  r.skip(8); // blockOrder, sweepToFill, allOrNone, minQty, ocaType, eTradeOnly, firmQuoteOnly, nbboPriceCap
  r.skip(2); // parentId, triggerMethod
  r.skip(2); // volatility, volatilityType
  const dnType = r.str();
  r.str(); // deltaNeutralAuxPrice
  if (dnType !== "") r.skip(8); // conId, settlingFirm, clearingAccount, clearingIntent, openClose, shortSale, slot, location
  r.skip(2); // continuousUpdate, referencePriceType
  r.skip(2); // trailStopPrice, trailingPercent
  r.skip(2); // basisPoints, basisPointsType
  r.str(); // comboLegsDescrip
  const legs = r.int();
  r.skip(legs * 8);
  const legPrices = r.int();
  r.skip(legPrices);
  const smartParams = r.int();
  r.skip(smartParams * 2);
  r.skip(2); // scaleInitLevelSize, scaleSubsLevelSize
  const increment = r.num();
  if (increment > 0 && increment < Number.MAX_VALUE) r.skip(7);
  if (r.str() !== "") r.str(); // hedgeType, hedgeParam
  r.skip(4); // optOutSmartRouting, clearingAccount, clearingIntent, notHeld
  if (r.int() !== 0) r.skip(3); // deltaNeutralContract
  if (r.str() !== "") r.skip(r.int() * 2); // algoStrategy, params
  r.skip(2); // solicited, whatIf
  values.status = r.str();
  if (v >= 142) r.skip(6); // margin before / change
  r.skip(3); // margin after
  values.commission = r.str();
  r.skip(4); // min/max commission, commission currency, warningText
  r.skip(2); // randomizeSize, randomizePrice
  if (v >= 102) {
    const type = String(values.orderType);
    if (type === "PEG BENCH" || type === "PEGBENCH") r.skip(5);
    const conditions = r.int();
    if (conditions > 0) throw new Error("openOrder: conditions are not decoded by this helper");
    r.skip(8); // adjustedOrderType, triggerPrice, trailStopPrice, lmtPriceOffset, adjusted stop/stop limit/trailing, unit
  }
  if (v >= 106) r.skip(3); // soft dollar tier
  if (v >= 111) r.str(); // cashQty
  if (v >= 141) r.str(); // dontUseAutoPriceForHedge
  if (v >= 145) r.str(); // isOmsContainer
  if (v >= 148) r.str(); // discretionaryUpToLimitPrice
  if (v >= 151) r.str(); // usePriceMgmtAlgo
  if (v >= 158) r.str(); // duration
  if (v >= 160) r.str(); // postToAts
  if (v >= 162) r.str(); // autoCancelParent
  if (v >= 170) r.skip(5); // minTradeQty, minCompeteSize, competeAgainstBestOffset, midOffsetAtWhole/Half
  if (v >= 183) r.str(); // customerAccount
  if (v >= 184) r.str(); // professionalCustomer
  if (v >= 185) r.str(); // bondAccruedInterest
  if (v >= 189) r.str(); // includeOvernight
  if (v >= 193) r.skip(2); // extOperator, manualOrderIndicator
}

function decodeCompletedOrder(r: Reader, v: number, values: Record<string, string | number>): void {
  contract11(r, values);
  values.action = r.str();
  values.totalQuantity = r.num();
  values.orderType = r.str();
  r.skip(2); // lmtPrice, auxPrice
  r.skip(6); // tif, ocaGroup, account, openClose, origin, orderRef
  values.permId = r.int();
  r.skip(4); // outsideRth, hidden, discretionaryAmt, goodAfterTime
  r.skip(3); // FA params
  if (v < 177) r.str(); // faProfile
  r.skip(1); // modelCode
  r.skip(4); // goodTillDate, rule80A, percentOffset, settlingFirm
  r.skip(3); // short sale params
  r.skip(5); // box and peg-to-stock params
  r.skip(1); // displaySize
  r.skip(4); // sweepToFill, allOrNone, minQty, ocaType
  r.skip(1); // triggerMethod
  r.skip(2); // volatility, volatilityType
  const dnType = r.str();
  r.str();
  if (dnType !== "") r.skip(4); // conId, shortSale, slot, location (no clearing attributes here)
  r.skip(2); // continuousUpdate, referencePriceType
  r.skip(2); // trail params
  r.str(); // comboLegsDescrip
  r.skip(r.int() * 8);
  r.skip(r.int());
  r.skip(r.int() * 2);
  r.skip(2);
  const increment = r.num();
  if (increment > 0 && increment < Number.MAX_VALUE) r.skip(7);
  if (r.str() !== "") r.str();
  r.skip(3); // clearingAccount, clearingIntent, notHeld
  if (r.int() !== 0) r.skip(3);
  if (r.str() !== "") r.skip(r.int() * 2);
  r.str(); // solicited
  values.status = r.str();
  r.skip(2); // randomize
  const type = String(values.orderType);
  if (type === "PEG BENCH" || type === "PEGBENCH") r.skip(5);
  if (r.int() > 0) throw new Error("completedOrder: conditions are not decoded by this helper");
  r.skip(2); // trailStopPrice, lmtPriceOffset
  r.skip(3); // cashQty, dontUseAutoPriceForHedge, isOmsContainer
  r.skip(8); // autoCancelDate, filledQuantity, refFuturesConId, autoCancelParent, shareholder, imbalanceOnly, routeMarketableToBbo, parentPermId
  values.completedTime = r.str();
  values.completedStatus = r.str();
  if (v >= 170) r.skip(5);
  if (v >= 183) r.str();
  if (v >= 184) r.str();
}

function decodeContractDetails(r: Reader, v: number, values: Record<string, string | number>): void {
  if (v < 164) r.int(); // version
  values.reqId = r.int();
  values.symbol = r.str();
  values.secType = r.str();
  values.lastTradeDateOrContractMonth = r.str();
  if (v >= 182) values.lastTradeDate = r.str();
  values.strike = r.num();
  values.right = r.str();
  values.exchange = r.str();
  values.currency = r.str();
  values.localSymbol = r.str();
  r.str(); // marketName
  r.str(); // tradingClass
  values.conId = r.int();
  values.minTick = r.num();
  if (v >= 110 && v < 164) r.int(); // mdSizeMultiplier
  r.skip(16); // multiplier … evMultiplier
  r.skip(r.int() * 2); // secIdList
  if (v >= 121) r.str(); // aggGroup
  if (v >= 122) r.skip(2); // underSymbol, underSecType
  if (v >= 126) r.str(); // marketRuleIds
  if (v >= 134) r.str(); // realExpirationDate
  if (v >= 152) r.str(); // stockType
  if (v === 163) r.str(); // sizeMinTick
  if (v >= 164) r.skip(3); // minSize, sizeIncrement, suggestedSizeIncrement
  if (v >= 179 && values.secType === "FUND") r.skip(17);
  if (v >= 186) r.skip(r.int() * 2); // ineligibility reasons
}

function decodeExecDetails(r: Reader, v: number, values: Record<string, string | number>): void {
  if (v < 136) r.int(); // version
  values.reqId = r.int();
  values.orderId = r.int();
  contract11(r, values);
  values.execId = r.str();
  values.time = r.str();
  values.account = r.str();
  r.str(); // exchange
  values.side = r.str();
  values.shares = r.num();
  values.price = r.num();
  values.permId = r.int();
  values.clientId = r.int();
  r.str(); // liquidation
  r.skip(2); // cumQty, avgPrice
  r.str(); // orderRef
  r.skip(2); // evRule, evMultiplier
  if (v >= 103) r.str(); // modelCode
  if (v >= 136) r.str(); // lastLiquidity
  if (v >= 178) r.str(); // pendingPriceRevision
}

/** Decodes one frame at server version `v`; throws on an unknown id or a field count that does not match. */
export function decodeServerMessage(fields: readonly string[], v: number): DecodedMessage {
  const msgId = Number(fields[0]);
  const values: Record<string, string | number> = {};
  const named = (name: string): DecodedMessage => ({ msgId, name, values });
  const r = new Reader(fields, `message ${msgId} at v${v}`);
  r.str();
  let name: string;
  switch (msgId) {
    case 3:
      name = "orderStatus";
      if (v < 131) r.int();
      values.orderId = r.int();
      values.status = r.str();
      values.filled = r.num();
      values.remaining = r.num();
      values.avgFillPrice = r.num();
      values.permId = r.int();
      r.skip(3); // parentId, lastFillPrice, clientId
      r.str(); // whyHeld
      if (v >= 131) r.str(); // mktCapPrice
      break;
    case 4:
      name = "error";
      r.int(); // version
      values.id = r.int();
      values.code = r.int();
      values.message = r.str();
      if (v >= 166) r.str(); // advancedOrderRejectJson
      break;
    case 5:
      name = "openOrder";
      decodeOpenOrder(r, v, values);
      break;
    case 6:
      name = "updateAccountValue";
      r.int();
      values.key = r.str();
      values.value = r.str();
      values.currency = r.str();
      values.account = r.str();
      break;
    case 7:
      name = "updatePortfolio";
      r.int();
      contract11(r, values);
      values.position = r.num();
      r.skip(5);
      values.account = r.str();
      break;
    case 8:
    case 9:
    case 15:
    case 49:
    case 54:
      name = {
        8: "updateAccountTime",
        9: "nextValidId",
        15: "managedAccounts",
        49: "currentTime",
        54: "accountDownloadEnd",
      }[msgId];
      r.int();
      values.value = r.str();
      break;
    case 10:
      name = "contractDetails";
      decodeContractDetails(r, v, values);
      break;
    case 11:
      name = "execDetails";
      decodeExecDetails(r, v, values);
      break;
    case 52:
    case 55:
    case 64:
    case 72:
    case 74:
      name = {
        52: "contractDetailsEnd",
        55: "execDetailsEnd",
        64: "accountSummaryEnd",
        72: "positionMultiEnd",
        74: "accountUpdateMultiEnd",
      }[msgId];
      r.int();
      values.reqId = r.int();
      break;
    case 53:
    case 62:
      name = msgId === 53 ? "openOrderEnd" : "positionEnd";
      r.int();
      break;
    case 59:
      name = "commissionReport";
      r.int();
      values.execId = r.str();
      values.commission = r.num();
      values.currency = r.str();
      r.skip(3); // realizedPNL, yield, yieldRedemptionDate
      break;
    case 61:
      name = "position";
      r.int();
      values.account = r.str();
      contract11(r, values);
      values.position = r.num();
      values.avgCost = r.num();
      break;
    case 63:
      name = "accountSummary";
      r.int();
      values.reqId = r.int();
      values.account = r.str();
      values.tag = r.str();
      values.value = r.str();
      values.currency = r.str();
      break;
    case 71:
      name = "positionMulti";
      r.int();
      values.reqId = r.int();
      values.account = r.str();
      contract11(r, values);
      values.position = r.num();
      values.avgCost = r.num();
      values.modelCode = r.str();
      break;
    case 73:
      name = "accountUpdateMulti";
      r.int();
      values.reqId = r.int();
      values.account = r.str();
      values.modelCode = r.str();
      values.key = r.str();
      values.value = r.str();
      values.currency = r.str();
      break;
    case 1:
      name = "tickPrice";
      r.int(); // version
      values.reqId = r.int();
      values.tickType = r.int();
      values.price = r.num();
      values.size = r.num();
      r.int(); // attrMask
      break;
    case 2:
      name = "tickSize";
      r.int(); // version
      values.reqId = r.int();
      values.tickType = r.int();
      values.size = r.num();
      break;
    case 17: {
      name = "historicalData";
      if (v < 124) r.int(); // version
      values.reqId = r.int();
      r.skip(2); // startDate, endDate
      const count = r.int();
      values.barCount = count;
      r.skip(count * 8); // date, open, high, low, close, volume, WAP, barCount
      break;
    }
    case 57:
    case 58:
      name = msgId === 57 ? "tickSnapshotEnd" : "marketDataType";
      r.int(); // version
      values.reqId = r.int();
      if (msgId === 58) values.marketDataType = r.int();
      break;
    case 75: {
      // No version field (tws-protocol-derivatives.md §4.2).
      name = "securityDefinitionOptionParameter";
      values.reqId = r.int();
      values.exchange = r.str();
      values.underlyingConId = r.int();
      values.tradingClass = r.str();
      values.multiplier = r.str();
      const expirations: string[] = [];
      for (let n = r.int(); n > 0; n--) expirations.push(r.str());
      values.expirations = expirations.join(",");
      const strikes: number[] = [];
      for (let n = r.int(); n > 0; n--) strikes.push(r.num());
      values.strikes = strikes.join(",");
      break;
    }
    case 76:
      name = "securityDefinitionOptionParameterEnd";
      values.reqId = r.int();
      break;
    case 94:
      name = "pnl";
      values.reqId = r.int();
      values.daily = r.num();
      if (v >= 129) values.unrealized = r.num();
      if (v >= 135) values.realized = r.num();
      break;
    case 95:
      name = "pnlSingle";
      values.reqId = r.int();
      values.position = r.num();
      values.daily = r.num();
      if (v >= 129) values.unrealized = r.num();
      if (v >= 135) values.realized = r.num();
      values.value = r.num();
      break;
    case 101:
      name = "completedOrder";
      decodeCompletedOrder(r, v, values);
      break;
    case 102:
      name = "completedOrdersEnd";
      break;
    default:
      throw new Error(`no decoder for message ${msgId}`);
  }
  r.end();
  return named(name);
}
