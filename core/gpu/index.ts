/**
 * GPU support: provisioning ONNX Runtime's CUDA execution provider for onnxruntime-node on the user's
 * request (NuGet package, verified, staged as a complete onnxruntime-node copy for useOrtPackage), its
 * status and removal. Host-free; the VS Code and CLI adapters sit on top. See docs/gpu.md.
 */
export {
  defaultGpuStorageDir,
  findGpuPackage,
  gpuPackageDir,
  gpuSupportStatus,
  installGpuSupport,
  MARKER_FILE,
  removeGpuSupport,
  type GpuInstallProgress,
  type GpuInstallResult,
  type GpuNetworkOptions,
  type GpuPackageMarker,
  type GpuSupportStatus,
  type GpuTargetOptions,
  type InstallGpuOptions,
  type StagedGpuPackage,
} from './install';
export { CUDA_REQUIREMENTS, gpuPackageFor, NUGET_ORG_INDEX, type GpuPackageLookup, type GpuPackageSpec, type ProviderFile } from './metadata';
export { resolveNugetPackage, type NugetPackageInfo } from './nuget';
export { checkCudaRuntime, hasNvidiaDriver, type CudaLibraryCheck, type CudaRuntimeReport } from './diagnose';
