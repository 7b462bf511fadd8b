/**
 * Which NuGet package holds the CUDA execution provider for a given onnxruntime-node version and
 * platform, and which of its files go where.
 *
 * The source of truth is onnxruntime-node's own install metadata (`script/install-metadata.js` and
 * `install-metadata-versions.js` in the package, what its postinstall script uses): `requirements` names
 * the manifests a platform needs (linux/x64: ['cuda12']), each manifest maps a file name in
 * `bin/napi-v6/<platform>/<arch>/` to a path inside a NuGet package, and `packages` names the package
 * (Microsoft.ML.OnnxRuntime.Gpu.Linux) and the versions to look for on which feed. When that file is
 * absent or not in the expected shape, the table below (copied from onnxruntime-node 1.30.0) is used.
 *
 * onnxruntime-node's prebuilt binding is compiled with the CUDA provider on linux/x64 only (its README:
 * CUDA "✔️" for Linux x64, "❌" elsewhere; `listSupportedBackends()` lists `cuda` there). Windows x64 has
 * a NuGet package (Microsoft.ML.OnnxRuntime.Gpu.Windows) but the npm binding cannot use it, so it is
 * refused with a reason rather than installed for nothing.
 */
import * as fs from 'fs';
import * as path from 'path';

export const NUGET_ORG_INDEX = 'https://api.nuget.org/v3/index.json';

export interface ProviderFile {
  /** File name in bin/napi-v6/<platform>/<arch>/. */
  name: string;
  /** Path of the entry inside the .nupkg (a zip). */
  pathInPackage: string;
  /** The CUDA provider cannot start without it (the TensorRT one is copied when present, optional). */
  required: boolean;
}

export interface GpuPackageSpec {
  /** 'cuda12': the manifest name in onnxruntime-node's install metadata. */
  flavor: string;
  /** NuGet package id, e.g. Microsoft.ML.OnnxRuntime.Gpu.Linux. */
  packageId: string;
  /** Its version: the exact onnxruntime-node version. */
  packageVersion: string;
  /** The NuGet service index the metadata names for it. */
  feedIndex: string;
  files: ProviderFile[];
  /** Where the spec came from: the installed package's metadata file, or the built-in table. */
  source: 'install-metadata' | 'built-in';
}

export type GpuPackageLookup = { supported: true; spec: GpuPackageSpec } | { supported: false; reason: string };

interface InstallMetadata {
  requirements: Record<string, string[]>;
  manifests: Record<string, Record<string, { package: string; path: string }>>;
  packages: Record<string, { name: string; versions: Array<{ feed: string; version: string }> }>;
  feeds: Record<string, { type: string; index: string }>;
}

/** onnxruntime-node 1.30.0's script/install-metadata.js (the linux/x64 CUDA 12 manifest), as a fallback. */
function builtInMetadata(version: string): InstallMetadata {
  return {
    requirements: { 'linux/x64': ['cuda12'] },
    manifests: {
      'linux/x64:cuda12': {
        './libonnxruntime_providers_cuda.so': { package: 'nuget:linux/x64:cuda12', path: 'runtimes/linux-x64/native/libonnxruntime_providers_cuda.so' },
        './libonnxruntime_providers_shared.so': { package: 'nuget:linux/x64:cuda12', path: 'runtimes/linux-x64/native/libonnxruntime_providers_shared.so' },
        './libonnxruntime_providers_tensorrt.so': { package: 'nuget:linux/x64:cuda12', path: 'runtimes/linux-x64/native/libonnxruntime_providers_tensorrt.so' },
      },
    },
    packages: {
      'nuget:win32/x64:cuda12': { name: 'Microsoft.ML.OnnxRuntime.Gpu.Windows', versions: [{ feed: 'nuget', version }] },
      'nuget:linux/x64:cuda12': { name: 'Microsoft.ML.OnnxRuntime.Gpu.Linux', versions: [{ feed: 'nuget', version }] },
    },
    feeds: { nuget: { type: 'nuget', index: NUGET_ORG_INDEX } },
  };
}

function isMetadata(m: unknown): m is InstallMetadata {
  const o = m as Partial<InstallMetadata> | undefined;
  return !!o && typeof o === 'object' && !!o.requirements && !!o.manifests && !!o.packages && !!o.feeds;
}

/** Reads onnxruntime-node's install metadata from its package folder (undefined when absent or unusable). */
export function readInstallMetadata(ortPackageDir: string): InstallMetadata | undefined {
  const file = path.join(ortPackageDir, 'script', 'install-metadata.js');
  if (!fs.existsSync(file)) return undefined;
  try {
    // Plain data modules of the installed package (no side effects); read the way its installer reads them.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const m = require(file) as unknown;
    return isMetadata(m) ? m : undefined;
  } catch {
    return undefined;
  }
}

const REQUIRED = /libonnxruntime_providers_(cuda|shared)\.so$|onnxruntime_providers_(cuda|shared)\.dll$/;

/**
 * The CUDA provider package for onnxruntime-node `version` on `platform`/`arch`, from the install
 * metadata of the package in `ortPackageDir` (when given and readable) or the built-in table.
 */
export function gpuPackageFor(version: string, platform: string, arch: string, ortPackageDir?: string): GpuPackageLookup {
  const fromPackage = ortPackageDir ? readInstallMetadata(ortPackageDir) : undefined;
  const meta = fromPackage ?? builtInMetadata(version);
  const key = `${platform}/${arch}`;
  const flavor = (meta.requirements[key] ?? []).find((n) => /^cuda/.test(n));
  const manifest = flavor ? meta.manifests[`${key}:${flavor}`] : undefined;
  if (!flavor || !manifest) {
    const hint = platform === 'win32' ? ' On Windows use the DirectML provider (dml), which ships inside onnxruntime-node.' : platform === 'darwin' ? ' On macOS use the CoreML provider (coreml), which ships inside onnxruntime-node.' : '';
    return { supported: false, reason: `onnxruntime-node ${version} has no CUDA execution provider for ${platform}-${arch}: its prebuilt binding supports CUDA on linux-x64 only.${hint}` };
  }
  const files: ProviderFile[] = [];
  let pkgKey: string | undefined;
  for (const [name, entry] of Object.entries(manifest)) {
    pkgKey ??= entry.package;
    files.push({ name: path.posix.basename(name), pathInPackage: entry.path, required: REQUIRED.test(entry.path) });
  }
  const pkg = pkgKey ? meta.packages[pkgKey] : undefined;
  if (!pkg || !files.some((f) => f.required)) {
    return { supported: false, reason: `onnxruntime-node ${version}'s install metadata for ${key}:${flavor} names no CUDA provider package.` };
  }
  // Prefer the stable nuget.org feed over nightly feeds.
  const candidate = pkg.versions.find((v) => v.feed === 'nuget') ?? pkg.versions[0];
  const feed = candidate ? meta.feeds[candidate.feed] : undefined;
  if (!candidate || !feed || feed.type !== 'nuget') {
    return { supported: false, reason: `onnxruntime-node ${version}'s install metadata names no NuGet feed for ${pkg.name}.` };
  }
  return {
    supported: true,
    spec: { flavor, packageId: pkg.name, packageVersion: candidate.version, feedIndex: feed.index, files, source: fromPackage ? 'install-metadata' : 'built-in' },
  };
}

/**
 * What the CUDA provider of this ORT generation needs on the machine (onnxruntime-node's README: "CUDA
 * v12"; ONNX Runtime's CUDA EP requirements: builds for CUDA 12.x use cuDNN 9.x since 1.19).
 */
export const CUDA_REQUIREMENTS = 'NVIDIA GPU with a driver for CUDA 12 (Linux driver >= 525.60.13), the CUDA 12.x runtime (libcudart, libcublas, libcublasLt, libcufft, libcurand) and cuDNN 9.x on the library path';
