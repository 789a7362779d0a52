/**
 * Fault injection for the e2e suite, run INSIDE the engine worker before the
 * library's own code: the harness wraps the worker script in a blob module that
 * runs this first (see main.ts). Nothing here ships with the library.
 *
 * It captures the GPU handles tfjs creates (WebGPU devices, WebGL contexts) and
 * listens on the `tastebud-faults` BroadcastChannel for faults to inject.
 */
/** `*-mid-call`: the GPU is lost at the next draw (WebGL) or queue submit (WebGPU), i.e. inside the next call that uses it. */
export type Fault = 'lose-webgpu' | 'lose-webgl' | 'lose-webgpu-mid-call' | 'lose-webgl-mid-call' | 'throw' | 'oom' | 'hang' | 'probe';

/** What the agent answers to every fault message. */
export interface FaultReply {
  injected: Fault;
  devices: number;
  gls: number;
  /** Whether Object.prototype inside the worker carries anything enumerable (prototype pollution). */
  polluted: boolean;
}

/** Preamble flags that must act before the engine starts (IndexedDB is opened by init()). */
export type StartupFault = 'idb-open-throws' | 'idb-missing';

/** Returns the source code of the preamble (plain JS, run as a module in the worker). */
export function faultAgentSource(startup: StartupFault[]): string {
  return `
const faults = { devices: [], gls: [] };
self.__tastebudFaults = faults;
if (typeof GPUAdapter !== 'undefined') {
  const requestDevice = GPUAdapter.prototype.requestDevice;
  GPUAdapter.prototype.requestDevice = async function (...args) {
    const device = await requestDevice.apply(this, args);
    faults.devices.push(device);
    return device;
  };
}
if (typeof OffscreenCanvas !== 'undefined') {
  const getContext = OffscreenCanvas.prototype.getContext;
  OffscreenCanvas.prototype.getContext = function (type, ...rest) {
    const context = getContext.call(this, type, ...rest);
    if (context && /webgl/.test(type)) faults.gls.push(context);
    return context;
  };
}
let armed = null;
// tfjs's WebGL backend runs every kernel with one drawElements; its WebGPU backend submits work to the queue.
for (const proto of [self.WebGL2RenderingContext?.prototype, self.WebGLRenderingContext?.prototype]) {
  if (!proto) continue;
  const drawElements = proto.drawElements;
  proto.drawElements = function (...args) {
    if (armed === 'webgl') { armed = null; this.getExtension('WEBGL_lose_context')?.loseContext(); }
    return drawElements.apply(this, args);
  };
}
if (typeof GPUQueue !== 'undefined') {
  const submit = GPUQueue.prototype.submit;
  GPUQueue.prototype.submit = function (...args) {
    const result = submit.apply(this, args);
    if (armed === 'webgpu') { armed = null; for (const device of faults.devices) device.destroy(); }
    return result;
  };
}
const startup = ${JSON.stringify(startup)};
if (startup.includes('idb-open-throws')) {
  // What some private modes do: the factory exists but every open fails.
  IDBFactory.prototype.open = function () { throw new DOMException('IndexedDB is disabled in this mode', 'InvalidStateError'); };
}
// The getter lives on WorkerGlobalScope.prototype; an own property shadows it.
if (startup.includes('idb-missing')) Object.defineProperty(self, 'indexedDB', { value: undefined, configurable: true });
const channel = new BroadcastChannel('tastebud-faults');
channel.onmessage = (event) => {
  switch (event.data) {
    case 'lose-webgpu': for (const device of faults.devices) device.destroy(); break;
    case 'lose-webgl': for (const gl of faults.gls) gl.getExtension('WEBGL_lose_context')?.loseContext(); break;
    case 'lose-webgpu-mid-call': armed = 'webgpu'; break;
    case 'lose-webgl-mid-call': armed = 'webgl'; break;
    case 'throw': setTimeout(() => { throw new Error('injected: uncaught exception in the worker'); }); break;
    // An allocation that cannot succeed, uncaught: what running out of memory looks like to the page.
    case 'oom': setTimeout(() => { self.__hog = new ArrayBuffer(2 ** 42); }); break;
    case 'hang': setTimeout(() => { for (;;) { /* frozen worker */ } }); break;
  }
  const polluted = Object.keys(Object.prototype).length > 0 || ({}).polluted !== undefined;
  channel.postMessage({ injected: event.data, devices: faults.devices.length, gls: faults.gls.length, polluted });
};
`;
}
