/**
 * Which onnxruntime-node runs the models: the bundled one, or a GPU package staged by core/gpu (a full
 * onnxruntime-node copy with the CUDA provider libraries). Both adapters call this before their first
 * model load, the CLI with its default storage folder, the extension with its global storage.
 */
import { defaultGpuStorageDir, findGpuPackage } from '../../core/gpu';
import { ortLoaded, ortPackageOverride, platformGpuProvider, useOrtPackage, type ProviderSetting } from './ort';

/**
 * Loads ORT from the staged GPU package in `storageDir` when the provider may be CUDA and one exists for
 * the bundled ORT version. Returns the folder in use, if any. Must run before anything loads
 * onnxruntime-node (afterwards the package already loaded stays).
 */
export async function provisionGpuRuntime(provider: ProviderSetting, storageDir: string = defaultGpuStorageDir()): Promise<string | undefined> {
  const wantsCuda = provider === 'cuda' || (provider === 'auto' && platformGpuProvider() === 'cuda');
  if (!wantsCuda) return undefined;
  if (ortLoaded()) return ortPackageOverride();
  const dir = await findGpuPackage(storageDir);
  if (dir && useOrtPackage(dir)) return dir;
  return undefined;
}
