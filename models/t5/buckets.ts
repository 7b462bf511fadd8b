/**
 * T5 relative-position buckets, exactly as transformers' `T5Attention._relative_position_bucket`
 * computes them (float32 log arithmetic included). Buckets saturate beyond `max_distance`, so a
 * lookup table over [-R, R] plus clipping covers every sequence length; the graph gathers from it.
 */
const f32 = Math.fround;

export function relativePositionBucket(relativePosition: number, bidirectional: boolean, numBuckets: number, maxDistance: number): number {
  let buckets = 0;
  let nb = numBuckets;
  let rp = relativePosition;
  if (bidirectional) {
    nb = Math.floor(nb / 2);
    if (rp > 0) buckets += nb;
    rp = Math.abs(rp);
  } else {
    rp = -Math.min(rp, 0);
  }
  const maxExact = Math.floor(nb / 2);
  if (rp < maxExact) return buckets + rp;
  // torch: log(rp.float() / max_exact) / math.log(max_distance / max_exact) * (num_buckets - max_exact), in float32, truncated
  const a = f32(f32(rp) / f32(maxExact));
  const b = f32(Math.log(a));
  const c = f32(b / f32(Math.log(maxDistance / maxExact)));
  const d = f32(c * f32(nb - maxExact));
  return buckets + Math.min(maxExact + Math.trunc(d), nb - 1);
}

export interface BucketTable {
  /** Clip relative positions to [-radius, radius] before looking up. */
  radius: number;
  /** table[rel + radius] = bucket. */
  table: BigInt64Array;
}

/** Table over [-R, R] with R chosen so that every |rel| >= R falls in the saturated bucket. */
export function bucketTable(bidirectional: boolean, numBuckets: number, maxDistance: number): BucketTable {
  let radius = Math.max(1, maxDistance);
  // Make sure the edges are saturated (they are for any sane config; extend if not).
  for (;;) {
    const sat = (r: number) => relativePositionBucket(r, bidirectional, numBuckets, maxDistance);
    const okPos = sat(radius) === sat(radius + 1) && sat(radius) === sat(radius * 4 + 1000);
    const okNeg = sat(-radius) === sat(-radius - 1) && sat(-radius) === sat(-radius * 4 - 1000);
    if (okPos && okNeg) break;
    radius *= 2;
    if (radius > 1 << 20) throw new Error('relative position buckets do not saturate');
  }
  const table = new BigInt64Array(2 * radius + 1);
  for (let r = -radius; r <= radius; r++) table[r + radius] = BigInt(relativePositionBucket(r, bidirectional, numBuckets, maxDistance));
  return { radius, table };
}
