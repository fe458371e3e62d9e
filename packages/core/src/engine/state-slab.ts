/** Bytes of one shared block; runs needing more than a quarter of it get a buffer of their own. */
const SLAB_BYTES = 32768;

let slab = new ArrayBuffer(SLAB_BYTES);
let used = 0;
/** The buffer of the last claim. */
let current: ArrayBuffer = slab;

/**
 * Memory for a run's per-node typed arrays: a fresh (zeroed) region of `bytes` bytes at an 8-byte-aligned offset.
 * Creating an `ArrayBuffer` costs more than a small run's whole graph walk (an off-heap allocation, zeroed, tracked
 * by the GC), so small runs take consecutive regions of a shared 32 KB block — as Node's `Buffer` pool does — and
 * only large ones (over 8 KB, i.e. state of more than ~260 nodes or a compact event log of more than ~145) allocate
 * their own. A 100-node run's state (3.1 KB) and compact log (5.7 KB) both come from the block: with a 4 KB block
 * (1 KB limit) they were two buffers per run, and concurrent 100-node runs of plain nodes (bench W4, W6) cost
 * ~11 % more CPU (`core-cpu.mjs`; async nodes alike within noise). Regions are never reused: a block is freed once no run that took a region of
 * it is reachable (at worst one live small run keeps 32 KB alive). The caller reads {@link stateBuffer} right after
 * this call.
 */
export function claimState(bytes: number): number {
  if (bytes > SLAB_BYTES / 4) {
    current = new ArrayBuffer(bytes);
    return 0;
  }
  if (used + bytes > SLAB_BYTES) {
    slab = new ArrayBuffer(SLAB_BYTES);
    used = 0;
  }
  current = slab;
  const at = used;
  used += (bytes + 7) & ~7;
  return at;
}

/** The buffer of the last {@link claimState}. */
export function stateBuffer(): ArrayBuffer {
  return current;
}
