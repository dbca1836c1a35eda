/** A monotonic ordering key for jobs (microseconds since the epoch, strictly increasing in this process). */
let last = 0;
export function nextSeq(): number {
  last = Math.max(last + 1, Date.now() * 1000);
  return last;
}
