/**
 * Where the CUDA provider's runtime dependencies would come from: the NVIDIA driver library, the CUDA 12
 * runtime libraries and cuDNN 9, looked up the way the dynamic loader would find them (Linux:
 * LD_LIBRARY_PATH, the ldconfig cache, the default library folders; Windows: PATH and System32). A library
 * that exists only in a folder the loader does not search (/usr/local/cuda/lib64 without an ld.so.conf
 * entry, a pip wheel's nvidia/*\/lib) is reported as `notOnPath`, with the folder to add. This explains a
 * fallback to CPU; it proves nothing about the GPU itself (only starting the provider does).
 */
import { execFile } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import type { Env } from '../hub/settings';

export interface CudaLibraryCheck {
  /** What it is: 'NVIDIA driver', 'CUDA runtime', 'cuBLAS', 'cuDNN 9', ... */
  role: string;
  /** File name the provider loads (libcudart.so.12, cudart64_12.dll, ...). */
  library: string;
  /** Where the loader finds it. */
  found?: string;
  /** Present, but in a folder the loader does not search: add it to LD_LIBRARY_PATH / PATH. */
  notOnPath?: string;
}

export interface CudaRuntimeReport {
  platform: string;
  libraries: CudaLibraryCheck[];
  /** Every library the CUDA provider needs is loadable. */
  complete: boolean;
}

const LINUX_LIBS: Array<[string, string]> = [
  ['NVIDIA driver', 'libcuda.so.1'],
  ['CUDA runtime', 'libcudart.so.12'],
  ['cuBLAS', 'libcublas.so.12'],
  ['cuBLASLt', 'libcublasLt.so.12'],
  ['cuFFT', 'libcufft.so.11'],
  ['cuRAND', 'libcurand.so.10'],
  ['cuDNN 9', 'libcudnn.so.9'],
];

const WINDOWS_LIBS: Array<[string, string]> = [
  ['NVIDIA driver', 'nvcuda.dll'],
  ['CUDA runtime', 'cudart64_12.dll'],
  ['cuBLAS', 'cublas64_12.dll'],
  ['cuBLASLt', 'cublasLt64_12.dll'],
  ['cuFFT', 'cufft64_11.dll'],
  ['cuRAND', 'curand64_10.dll'],
  ['cuDNN 9', 'cudnn64_9.dll'],
];

function ldconfigCache(): Promise<Map<string, string>> {
  return new Promise((resolve) => {
    const tryRun = (bins: string[]) => {
      const bin = bins.shift();
      if (!bin) return resolve(new Map());
      execFile(bin, ['-p'], { timeout: 3000, maxBuffer: 8 << 20 }, (err, stdout) => {
        if (err) return tryRun(bins);
        const m = new Map<string, string>();
        // "	libcudart.so.12 (libc6,x86-64) => /usr/local/cuda/lib64/libcudart.so.12"
        for (const line of stdout.split('\n')) {
          const r = /^\s*(\S+)\s+\(([^)]*)\)\s+=>\s+(.+)$/.exec(line);
          if (r && !m.has(r[1]) && (process.arch !== 'x64' || r[2].includes('x86-64'))) m.set(r[1], r[3].trim());
        }
        resolve(m);
      });
    };
    tryRun(['/sbin/ldconfig', '/usr/sbin/ldconfig', 'ldconfig']);
  });
}

function splitPath(v: string | undefined, sep: string): string[] {
  return (v ?? '').split(sep).map((s) => s.trim()).filter(Boolean);
}

function firstIn(dirs: string[], name: string): string | undefined {
  for (const d of dirs) {
    const p = path.join(d, name);
    if (fs.existsSync(p)) return p;
  }
  return undefined;
}

function globCudaDirs(): string[] {
  const out = ['/usr/local/cuda/lib64', '/usr/local/cuda/targets/x86_64-linux/lib', '/opt/cuda/lib64'];
  try {
    for (const e of fs.readdirSync('/usr/local')) if (/^cuda-\d/.test(e)) out.push(path.join('/usr/local', e, 'lib64'));
  } catch {
    /* no /usr/local */
  }
  return out;
}

/** Checks which of the CUDA provider's runtime libraries the loader can find on this machine. */
export async function checkCudaRuntime(o: { env?: Env; platform?: string } = {}): Promise<CudaRuntimeReport> {
  const env = o.env ?? process.env;
  const platform = o.platform ?? process.platform;
  const libraries: CudaLibraryCheck[] = [];
  if (platform === 'win32') {
    const pathDirs = splitPath(env.PATH ?? env.Path, ';');
    const sys = path.join(env.SystemRoot || env.windir || 'C:\\Windows', 'System32');
    const extra = [env.CUDA_PATH ? path.join(env.CUDA_PATH, 'bin') : undefined, env.CUDNN_PATH ? path.join(env.CUDNN_PATH, 'bin') : undefined].filter((d): d is string => !!d);
    for (const [role, library] of WINDOWS_LIBS) {
      const found = firstIn([sys, ...pathDirs], library);
      libraries.push({ role, library, found, notOnPath: found ? undefined : extra.find((d) => fs.existsSync(path.join(d, library))) });
    }
  } else if (platform === 'linux') {
    const ldPath = splitPath(env.LD_LIBRARY_PATH, ':');
    const cache = await ldconfigCache();
    const defaults = ['/lib', '/usr/lib', '/lib64', '/usr/lib64', '/lib/x86_64-linux-gnu', '/usr/lib/x86_64-linux-gnu', '/lib/aarch64-linux-gnu', '/usr/lib/aarch64-linux-gnu', '/usr/lib/wsl/lib'];
    const elsewhere = globCudaDirs();
    for (const [role, library] of LINUX_LIBS) {
      const found = firstIn(ldPath, library) ?? cache.get(library) ?? firstIn(defaults, library);
      const stray = found ? undefined : firstIn(elsewhere, library);
      libraries.push({ role, library, found, notOnPath: stray ? path.dirname(stray) : undefined });
    }
  }
  return { platform, libraries, complete: libraries.length > 0 && libraries.every((l) => !!l.found) };
}

/**
 * Whether this machine has an NVIDIA GPU, as far as the loader can tell: its driver library (libcuda.so.1,
 * nvcuda.dll) is found. False on platforms without CUDA (macOS). Decides which GPU commands and hints
 * make sense here; whether the provider starts is still only known by starting it.
 */
export function hasNvidiaDriver(report: CudaRuntimeReport): boolean {
  return report.libraries.some((l) => l.role === 'NVIDIA driver' && !!l.found);
}
