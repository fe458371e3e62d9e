// The protocol between run.mjs and the child processes it spawns (worker.mjs, memory-worker.mjs): the child prints
// one JSON line on stdout — its result, or `{ status: 'failed', reason }` — and exits (0, or 1 when it failed).

/** Prints what `main()` settles to as the child's one JSON line, then exits. */
export function reportAndExit(main) {
  main.then(
    (r) => {
      process.stdout.write(`${JSON.stringify(r)}\n`);
      process.exit(0);
    },
    (e) => {
      process.stdout.write(`${JSON.stringify({ status: 'failed', reason: String(e?.stack ?? e).slice(0, 800) })}\n`);
      process.exit(1);
    },
  );
}
