/** Constants of the TWS API at the one server version this simulator speaks. */

/** `CME_TAGGING_FIELDS_IN_OPEN_ORDER`: the highest version @stoqey/ib 1.6.10 accepts, and what real TWS negotiates with it. */
export const SERVER_VERSION = 193;
/** Lowest client version of the V100+ protocol. */
export const MIN_CLIENT_VERSION = 100;

/** Requests (client → server). */
export const OutMsg = {
  REQ_MKT_DATA: 1,
  CANCEL_MKT_DATA: 2,
  PLACE_ORDER: 3,
  CANCEL_ORDER: 4,
  REQ_OPEN_ORDERS: 5,
  REQ_ACCOUNT_DATA: 6,
  REQ_EXECUTIONS: 7,
  REQ_IDS: 8,
  REQ_CONTRACT_DATA: 9,
  SET_SERVER_LOGLEVEL: 14,
  REQ_AUTO_OPEN_ORDERS: 15,
  REQ_ALL_OPEN_ORDERS: 16,
  REQ_MANAGED_ACCTS: 17,
  REQ_CURRENT_TIME: 49,
  REQ_GLOBAL_CANCEL: 58,
  REQ_MARKET_DATA_TYPE: 59,
  REQ_POSITIONS: 61,
  REQ_ACCOUNT_SUMMARY: 62,
  CANCEL_ACCOUNT_SUMMARY: 63,
  CANCEL_POSITIONS: 64,
  START_API: 71,
  REQ_COMPLETED_ORDERS: 99,
} as const;

/** Replies and events (server → client). */
export const InMsg = {
  ORDER_STATUS: 3,
  ERR_MSG: 4,
  OPEN_ORDER: 5,
  ACCT_VALUE: 6,
  PORTFOLIO_VALUE: 7,
  ACCT_UPDATE_TIME: 8,
  NEXT_VALID_ID: 9,
  CONTRACT_DATA: 10,
  EXECUTION_DATA: 11,
  MANAGED_ACCTS: 15,
  CURRENT_TIME: 49,
  CONTRACT_DATA_END: 52,
  OPEN_ORDER_END: 53,
  ACCT_DOWNLOAD_END: 54,
  EXECUTION_DATA_END: 55,
  COMMISSION_REPORT: 59,
  POSITION: 61,
  POSITION_END: 62,
  ACCOUNT_SUMMARY: 63,
  ACCOUNT_SUMMARY_END: 64,
  COMPLETED_ORDER: 101,
  COMPLETED_ORDERS_END: 102,
} as const;

/** Error codes the simulator sends, with IB's usual texts. */
export const TwsError = {
  MAX_RATE_EXCEEDED: 100,
  DUPLICATE_ORDER_ID: 103,
  NO_SECURITY_DEFINITION: 200,
  ORDER_REJECTED: 201,
  ORDER_CANCELLED: 202,
  ERROR_READING_REQUEST: 320,
  ERROR_VALIDATING_REQUEST: 321,
  MAX_ACCOUNT_SUMMARY_REQUESTS: 322,
  CLIENT_ID_IN_USE: 326,
  CONNECTIVITY_LOST: 1100,
  CONNECTIVITY_RESTORED_DATA_LOST: 1101,
  CONNECTIVITY_RESTORED_DATA_MAINTAINED: 1102,
  MARKET_DATA_FARM_OK: 2104,
  HMDS_FARM_OK: 2106,
  TWS_SERVER_CONNECTIVITY_BROKEN: 2110,
  SECDEF_FARM_OK: 2158,
  CANCEL_NOT_FOUND: 10147,
  CANCEL_NOT_POSSIBLE: 10148,
} as const;

/** Texts of the connection notices `sendNotice` can push (id -1). */
export const NOTICE_TEXTS: Readonly<Record<number, string>> = {
  [TwsError.CONNECTIVITY_LOST]: "Connectivity between IB and Trader Workstation has been lost.",
  [TwsError.CONNECTIVITY_RESTORED_DATA_LOST]:
    "Connectivity between IB and Trader Workstation has been restored - data lost.",
  [TwsError.CONNECTIVITY_RESTORED_DATA_MAINTAINED]:
    "Connectivity between IB and Trader Workstation has been restored - data maintained.",
  [TwsError.TWS_SERVER_CONNECTIVITY_BROKEN]:
    "Connectivity between Trader Workstation and server is broken. It will be restored automatically.",
  [TwsError.MARKET_DATA_FARM_OK]: "Market data farm connection is OK:usfarm",
  [TwsError.HMDS_FARM_OK]: "HMDS data farm connection is OK:ushmds",
  [TwsError.SECDEF_FARM_OK]: "Sec-def data farm connection is OK:secdefnj",
};

/** The id of system notices; the client routes these to `info`, not `error`. */
export const NO_VALID_ID = -1;
