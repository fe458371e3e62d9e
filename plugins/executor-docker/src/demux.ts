/* Internal: splits Docker's multiplexed attach stream (8-byte frame headers) into stdout and stderr chunks. */

/** Returns a `data` handler that parses frames across chunk boundaries and calls `emit` per payload. */
export function createDemuxer(emit: (stream: 'stdout' | 'stderr', chunk: Buffer) => void): (chunk: Buffer) => void {
  let pending: Buffer = Buffer.alloc(0);
  return (chunk) => {
    pending = pending.length === 0 ? chunk : Buffer.concat([pending, chunk]);
    while (pending.length >= 8) {
      const size = pending.readUInt32BE(4);
      if (pending.length < 8 + size) break;
      const payload = pending.subarray(8, 8 + size);
      if (payload.length > 0) emit(pending[0] === 2 ? 'stderr' : 'stdout', payload);
      pending = pending.subarray(8 + size);
    }
  };
}
