/**
 * Plain tensors of the host-free core: a typed array in row-major (C) order and its dims.
 * The runtime module converts them to and from onnxruntime tensors; nothing else needs ORT types.
 */
export type FloatTensor = { readonly data: Float32Array; readonly dims: readonly number[] };
export type IntTensor = { readonly data: BigInt64Array; readonly dims: readonly number[] };

export function numel(dims: readonly number[]): number {
  let n = 1;
  for (const d of dims) n *= d;
  return n;
}

export function floatTensor(data: Float32Array, dims: readonly number[]): FloatTensor {
  if (data.length !== numel(dims)) throw new RangeError(`tensor data has ${data.length} elements, dims [${dims.join(', ')}] need ${numel(dims)}`);
  return { data, dims: [...dims] };
}

export function intTensor(data: BigInt64Array | ArrayLike<number>, dims: readonly number[]): IntTensor {
  const arr = data instanceof BigInt64Array ? data : BigInt64Array.from(Array.from(data as ArrayLike<number>, (v) => BigInt(v)));
  if (arr.length !== numel(dims)) throw new RangeError(`tensor data has ${arr.length} elements, dims [${dims.join(', ')}] need ${numel(dims)}`);
  return { data: arr, dims: [...dims] };
}

/** Row-major strides for dims. */
export function strides(dims: readonly number[]): number[] {
  const s = new Array<number>(dims.length);
  let acc = 1;
  for (let i = dims.length - 1; i >= 0; i--) {
    s[i] = acc;
    acc *= dims[i];
  }
  return s;
}
