/**
 * @module edge/jt808
 * JT/T 808 (道路运输车辆卫星定位系统 终端通讯协议) for trucks' own positioning terminals: a TCP
 * endpoint inside a vehicle gateway whose terminals become vehicles on the serial unit's pipeline.
 * The gateway core loads this module when the config has a `jt808:` section.
 * @example
 * import { createJt808Unit } from './edge/jt808/index.js';
 * const unit = await createJt808Unit(cfg.jt808, ctx);
 */
export { encodeFrame, FrameSplitter, parseFrame } from './codec.js';
export { Jt808Section, loadJt808Section } from './config.js';
export { decodeBody, decodeCapture, decodeSegment, type Message, positionsOf } from './decode.js';
export { Jt808Server, NoAnswerError } from './server.js';
export { createJt808Unit, Jt808Unit, readSignal } from './unit.js';
