/**
 * Downsampling a series for display: Largest-Triangle-Three-Buckets (Steinarsson, "Downsampling Time
 * Series for Visual Representation", 2013), which keeps the visual shape (peaks, troughs, slopes) of
 * a line with far fewer points. Pure functions over typed arrays; x is the index.
 *
 * Missing values (NaN) are not interpolated over: a bucket that holds one also keeps the index of its
 * first missing value, so a line drawn through the result breaks there as it would on the full data.
 */

/**
 * Indices (increasing) of about `threshold` points of `values[start, end)` chosen by LTTB; every index
 * when the range has no more than `threshold` points. The first and last index of the range are
 * always kept. Missing values add at most one index per bucket (see the module comment), so the
 * result may be slightly longer than `threshold` for gappy data.
 *
 * @param values the series (NaN = missing)
 * @param threshold points wanted, >= 3 (smaller values are raised to 3)
 */
export function lttb(values: ArrayLike<number>, threshold: number, start = 0, end = values.length): Uint32Array {
  start = Math.max(0, Math.floor(start));
  end = Math.min(values.length, Math.floor(end));
  const n = end - start;
  if (n <= 0) return new Uint32Array(0);
  const want = Math.max(3, Math.floor(threshold));
  if (n <= want) {
    const all = new Uint32Array(n);
    for (let i = 0; i < n; i++) all[i] = start + i;
    return all;
  }
  const out: number[] = [start];
  // Interior points [start+1, end-1) split into want-2 buckets of equal width.
  const every = (n - 2) / (want - 2);
  let a = start; // the previously selected point
  for (let b = 0; b < want - 2; b++) {
    const lo = start + 1 + Math.floor(b * every);
    const hi = Math.min(end - 1, start + 1 + Math.floor((b + 1) * every));
    // Average of the next bucket (the last point for the last bucket), over observed values.
    const nlo = hi;
    const nhi = b === want - 3 ? end : Math.min(end - 1, start + 1 + Math.floor((b + 2) * every));
    let ax = 0;
    let ay = 0;
    let an = 0;
    for (let i = nlo; i < nhi; i++) {
      const v = values[i];
      if (v === v) {
        ax += i;
        ay += v;
        an++;
      }
    }
    let pick = -1;
    let firstMissing = -1;
    const va = values[a];
    if (an === 0 || !(va === va)) {
      // No reference on one side: keep the bucket's largest deviation from its own mean instead.
      let s = 0;
      let c = 0;
      for (let i = lo; i < hi; i++) {
        const v = values[i];
        if (v === v) {
          s += v;
          c++;
        } else if (firstMissing < 0) firstMissing = i;
      }
      const m = c ? s / c : 0;
      let best = -1;
      for (let i = lo; i < hi; i++) {
        const v = values[i];
        if (v === v && Math.abs(v - m) > best) {
          best = Math.abs(v - m);
          pick = i;
        }
      }
    } else {
      ax /= an;
      ay /= an;
      let best = -1;
      for (let i = lo; i < hi; i++) {
        const v = values[i];
        if (!(v === v)) {
          if (firstMissing < 0) firstMissing = i;
          continue;
        }
        // Twice the triangle's area (the factor does not change the argmax).
        const area = Math.abs((a - ax) * (v - va) - (a - i) * (ay - va));
        if (area > best) {
          best = area;
          pick = i;
        }
      }
    }
    if (firstMissing >= 0 && (pick < 0 || firstMissing < pick)) out.push(firstMissing);
    if (pick >= 0) {
      out.push(pick);
      a = pick;
    }
    if (firstMissing >= 0 && pick >= 0 && firstMissing > pick) {
      out.push(firstMissing);
      a = firstMissing;
    } else if (pick < 0 && firstMissing >= 0) a = firstMissing;
  }
  out.push(end - 1);
  return Uint32Array.from(out);
}
