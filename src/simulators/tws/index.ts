export {
  startTwsSimulator,
  type TwsClientInfo,
  type TwsSimulator,
  type TwsSimulatorOptions,
} from "./tws-simulator";
export { SERVER_VERSION as TWS_SERVER_VERSION } from "./tws-protocol";
