/** Worker entry: exposes the engine façade, and nothing else, over comlink. */
import { expose } from 'comlink';
import { installErrorTransfer } from '../common/transfer';
import { createEngine } from './engine';
import { prioritise } from './priority';

installErrorTransfer();
// An async failure nobody awaited must not be mistaken by the page for a crash.
self.addEventListener('unhandledrejection', (event) => event.preventDefault());
expose(prioritise(createEngine()));
