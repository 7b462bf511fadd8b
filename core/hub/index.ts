/**
 * Host-free Hugging Face hub support: the known Chronos models, the shared hub cache (scan, inspect,
 * find), downloads into it, and cache-folder size/clearing. The VS Code and CLI adapters sit on top.
 */
export { KNOWN_BOLT_MODELS, KNOWN_MODELS, knownModel, type KnownModel } from './known-models';
export {
  defaultCacheDir,
  defaultEndpoint,
  findHubToken,
  hfHome,
  isValidRepoId,
  offlineFromEnv,
  repoFolderName,
  repoIdFromFolderName,
  resolveHubSettings,
  type Env,
  type HubOptions,
  type ResolvedHubSettings,
} from './settings';
export {
  findCachedModel,
  inspectCheckpointFolder,
  scanCache,
  type CachedCheckpoint,
  type CheckpointFolderInfo,
  type ChronosFamily,
  type ScanOptions,
} from './cache';
export { downloadModel, type DownloadedModel, type DownloadModelOptions, type DownloadProgress, type DownloadProgressCallback } from './download';
export { clearDir, dirSize, formatBytes, type DirSize } from './dirsize';
export { HubError, type HubErrorReason } from './hub-error';
export { checkRepoId, checkRevision, revisionProblem } from './names';
export { resolveProxy } from './http';
