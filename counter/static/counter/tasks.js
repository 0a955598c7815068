// Reading the server without flooding it: a burst of live events becomes one read.

// One read in flight at a time; asks made meanwhile collapse into one more read after it.
export function coalesced(fn) {
  let running = null;
  let again = false;
  const run = async () => {
    if (running) {
      again = true;
      return running;
    }
    running = (async () => {
      try {
        do {
          again = false;
          await fn();
        } while (again);
      } finally {
        running = null;
      }
    })();
    return running;
  };
  return run;
}

// Debounced: the read runs `ms` after the last ask.
export function soon(fn, ms, onError) {
  let timer = null;
  return () => {
    clearTimeout(timer);
    timer = setTimeout(() => fn().catch(onError), ms);
  };
}
