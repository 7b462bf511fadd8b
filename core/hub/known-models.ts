/**
 * The original Chronos (T5) models Amazon publishes on the Hugging Face hub.
 *
 * Parameter counts: the model table of the Chronos README (amazon-science/chronos-forecasting) and the
 * paper (Ansari et al., 2024, "Chronos: Learning the Language of Time Series"), which name the T5
 * "efficient" sizes they are built on: tiny 8M, mini 20M, small 46M, base 200M, large 710M.
 * Download sizes: approximate, the size of each repo's float32 `model.safetensors` (about 4 bytes per
 * parameter, as the hub's file listing shows: ~34 MB, ~82 MB, ~185 MB, ~806 MB, ~2.84 GB) plus a few kB
 * of JSON. They are for labels only: the real size comes from the hub (X-Linked-Size) when downloading.
 */
export interface KnownModel {
  repoId: string;
  /** Short name shown in pickers: "Chronos-T5 Small". */
  label: string;
  /** Approximate parameter count. */
  parameters: number;
  /** "46M". */
  parametersLabel: string;
  /** Approximate bytes to download (model.safetensors + configs). */
  approxDownloadBytes: number;
}

export const KNOWN_MODELS: readonly KnownModel[] = Object.freeze([
  { repoId: 'amazon/chronos-t5-tiny', label: 'Chronos-T5 Tiny', parameters: 8e6, parametersLabel: '8M', approxDownloadBytes: 33.6e6 },
  { repoId: 'amazon/chronos-t5-mini', label: 'Chronos-T5 Mini', parameters: 20e6, parametersLabel: '20M', approxDownloadBytes: 82e6 },
  { repoId: 'amazon/chronos-t5-small', label: 'Chronos-T5 Small', parameters: 46e6, parametersLabel: '46M', approxDownloadBytes: 185e6 },
  { repoId: 'amazon/chronos-t5-base', label: 'Chronos-T5 Base', parameters: 200e6, parametersLabel: '200M', approxDownloadBytes: 806e6 },
  { repoId: 'amazon/chronos-t5-large', label: 'Chronos-T5 Large', parameters: 710e6, parametersLabel: '710M', approxDownloadBytes: 2.84e9 },
].map((m) => Object.freeze(m)));

/**
 * Amazon's Chronos-Bolt models (patch-based, a quantile head; the family most users forecast with).
 * Parameter counts: the Chronos README's table (tiny 9M, mini 21M, small 48M, base 205M, built on the
 * T5-efficient sizes). Download sizes: approximate, float32 weights at about 4 bytes per parameter.
 * Kept apart from KNOWN_MODELS: pickers list each family in a section of its own.
 */
export const KNOWN_BOLT_MODELS: readonly KnownModel[] = Object.freeze([
  { repoId: 'amazon/chronos-bolt-tiny', label: 'Chronos-Bolt Tiny', parameters: 9e6, parametersLabel: '9M', approxDownloadBytes: 36e6 },
  { repoId: 'amazon/chronos-bolt-mini', label: 'Chronos-Bolt Mini', parameters: 21e6, parametersLabel: '21M', approxDownloadBytes: 84e6 },
  { repoId: 'amazon/chronos-bolt-small', label: 'Chronos-Bolt Small', parameters: 48e6, parametersLabel: '48M', approxDownloadBytes: 192e6 },
  { repoId: 'amazon/chronos-bolt-base', label: 'Chronos-Bolt Base', parameters: 205e6, parametersLabel: '205M', approxDownloadBytes: 820e6 },
].map((m) => Object.freeze(m)));

export function knownModel(repoId: string): KnownModel | undefined {
  return KNOWN_MODELS.find((m) => m.repoId === repoId) ?? KNOWN_BOLT_MODELS.find((m) => m.repoId === repoId);
}
