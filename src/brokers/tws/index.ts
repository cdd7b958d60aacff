export { createTwsBroker, type TwsBrokerOptions } from "./tws-broker";
