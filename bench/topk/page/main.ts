/** The page side of bench/topk/run.ts: exposes the measurements to page.evaluate(). */
import { configureTfjs, measureConfig, readBandwidth } from '../measure';

const api = { configureTfjs, measureConfig, readBandwidth, ready: true };
declare global {
  interface Window {
    tastebudTopk: typeof api;
  }
}
window.tastebudTopk = api;
