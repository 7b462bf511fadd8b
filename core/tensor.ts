/**
 * Plain tensors of the host-free core: a typed array in row-major (C) order and its dims.
 * The runtime module converts them to and from onnxruntime tensors; nothing else needs ORT types.
 */
export type FloatTensor = { readonly data: Float32Array; readonly dims: readonly number[] };
export type IntTensor = { readonly data: BigInt64Array; readonly dims: readonly number[] };
