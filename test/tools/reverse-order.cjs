// Preload: registers each describe's tests in reverse order (checks that tests do not depend on earlier ones).
/* global require */
// eslint-disable-next-line @typescript-eslint/no-require-imports -- a CommonJS preload (node --require)
require("./reorder.cjs")((tests) => tests.reverse());
