import assert from 'node:assert/strict';
import { test } from 'node:test';
import { interactive, prioritise, yieldToInteractive } from '../workers/priority';

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

test('background slices wait while an interactive call runs, and resume after it', async () => {
  const log: string[] = [];
  let stop = false;
  const background = (async () => {
    for (let slice = 0; !stop; slice++) {
      log.push(`slice ${slice}`);
      await yieldToInteractive();
    }
  })();
  await sleep(5);
  const answer = await interactive(async () => {
    log.push('call start');
    await sleep(20); // long enough for many slices, were they not held back
    log.push('call end');
    return 42;
  });
  await sleep(5);
  stop = true;
  await background;
  assert.equal(answer, 42);
  const start = log.indexOf('call start');
  const end = log.indexOf('call end');
  assert.equal(end, start + 1, `no slice ran during the call: ${log.slice(start, end + 1).join(', ')}`);
  assert.ok(
    log.slice(end + 1).some((l) => l.startsWith('slice')),
    'slices resume after the call',
  );
});

test('prioritise marks the interactive methods and leaves the others as they are', async () => {
  let recommendDone = false;
  let sliceSawRecommendDone: boolean | undefined;
  const engine = {
    recommend: async () => {
      await sleep(10);
      recommendDone = true;
      return 'r';
    },
    track: async () => 't',
    similar: async () => 's',
    search: async () => 'q',
    history: async () => 'h',
    coldStartPicks: async () => 'c',
    adapt: async () => 'a',
  };
  const wrapped = prioritise(engine);
  assert.equal(wrapped.adapt, engine.adapt);
  const call = wrapped.recommend();
  const slice = (async () => {
    await sleep(1);
    await yieldToInteractive();
    sliceSawRecommendDone = recommendDone;
  })();
  assert.equal(await call, 'r');
  await slice;
  assert.equal(sliceSawRecommendDone, true, 'the slice waited for recommend()');
  assert.deepEqual(await Promise.all([wrapped.track(), wrapped.similar(), wrapped.search(), wrapped.history(), wrapped.coldStartPicks()]), [
    't',
    's',
    'q',
    'h',
    'c',
  ]);
});
