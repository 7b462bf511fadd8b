/**
 * Restricted mode (an untrusted workspace). Settings that name something Chronos Lens reads and runs (the
 * model checkpoint folder) come from the user settings only there: a workspace or folder value is
 * ignored, with a message. package.json lists them in `capabilities.untrustedWorkspaces
 * .restrictedConfigurations`, so VS Code already withholds the workspace values; the extension applies the
 * same rule itself (`trustAwareGetter`, in case a host does not) and reads the workspace's settings files
 * to say what it ignored (VS Code's API no longer shows those values then).
 *
 * The hub endpoint (HF_ENDPOINT), the hub cache (HF_HUB_CACHE / HF_HOME), the NuGet feed for GPU support
 * and the GPU storage folder never come from settings at all: the environment of VS Code, and the
 * extension's global storage. The proxy settings (`http.*`) are read from the user scope only
 * (network.ts). vscode-free.
 */
import { SECTION } from './settings';

/** Keys below `chronosLens.` that a workspace cannot set in restricted mode. */
export const RESTRICTED_SETTINGS: readonly string[] = ['model'];

export function isRestrictedSetting(key: string): boolean {
  return RESTRICTED_SETTINGS.includes(key);
}

/** The scopes of a setting, as `WorkspaceConfiguration.inspect` gives them. */
export interface InspectedValue {
  defaultValue?: unknown;
  globalValue?: unknown;
  workspaceValue?: unknown;
  workspaceFolderValue?: unknown;
}

/**
 * A getter for readSettings: in restricted mode the restricted keys give the user (global) value, or
 * undefined (the default), whatever a workspace says; everything else is read as usual.
 */
export function trustAwareGetter(get: (key: string) => unknown, inspect: (key: string) => InspectedValue | undefined, trusted: boolean): (key: string) => unknown {
  return (key) => (trusted || !isRestrictedSetting(key) ? get(key) : inspect(key)?.globalValue);
}

export interface IgnoredSetting {
  /** `chronosLens.model`. */
  setting: string;
  /** Where the value was: `.vscode/settings.json of folder x`, `workspace settings`, ... */
  source: string;
  value: unknown;
}

export interface SettingsFile {
  /** Shown in the message: `/work/proj/.vscode/settings.json`. */
  source: string;
  text: string;
  /** A `.code-workspace` file: its settings are under "settings". */
  workspaceFile?: boolean;
}

/**
 * JSON with comments and trailing commas (settings.json, .code-workspace) -> a value, or undefined when
 * it cannot be parsed.
 */
export function parseJsonc(text: string): unknown {
  let out = '';
  let i = 0;
  const n = text.length;
  while (i < n) {
    const c = text[i];
    if (c === '"') {
      let j = i + 1;
      while (j < n && text[j] !== '"') j += text[j] === '\\' ? 2 : 1;
      out += text.slice(i, j + 1);
      i = j + 1;
    } else if (c === '/' && text[i + 1] === '/') {
      while (i < n && text[i] !== '\n') i++;
    } else if (c === '/' && text[i + 1] === '*') {
      const end = text.indexOf('*/', i + 2);
      i = end < 0 ? n : end + 2;
    } else {
      out += c;
      i++;
    }
  }
  // Trailing commas before } or ] (outside strings: strings were copied verbatim, so only look outside them).
  let cleaned = '';
  i = 0;
  while (i < out.length) {
    const c = out[i];
    if (c === '"') {
      let j = i + 1;
      while (j < out.length && out[j] !== '"') j += out[j] === '\\' ? 2 : 1;
      cleaned += out.slice(i, j + 1);
      i = j + 1;
      continue;
    }
    if (c === ',') {
      let j = i + 1;
      while (j < out.length && /\s/.test(out[j])) j++;
      if (out[j] === '}' || out[j] === ']') {
        i++;
        continue;
      }
    }
    cleaned += c;
    i++;
  }
  try {
    return JSON.parse(cleaned.replace(/^\uFEFF/, ''));
  } catch {
    return undefined;
  }
}

function settingsObject(f: SettingsFile): Record<string, unknown> | undefined {
  const v = parseJsonc(f.text);
  const obj = f.workspaceFile ? (v as { settings?: unknown } | undefined)?.settings : v;
  return obj && typeof obj === 'object' && !Array.isArray(obj) ? (obj as Record<string, unknown>) : undefined;
}

/**
 * The restricted settings a workspace sets that restricted mode ignores: from `inspect` (hosts that still
 * report them) and from the workspace's settings files. Empty when the workspace is trusted.
 */
export function ignoredWorkspaceSettings(o: { trusted: boolean; inspect?: (key: string) => InspectedValue | undefined; files?: readonly SettingsFile[] }): IgnoredSetting[] {
  if (o.trusted) return [];
  const out: IgnoredSetting[] = [];
  const add = (setting: string, source: string, value: unknown) => {
    if (value === undefined) return;
    if (out.some((x) => x.setting === setting && JSON.stringify(x.value) === JSON.stringify(value))) return;
    out.push({ setting, source, value });
  };
  for (const key of RESTRICTED_SETTINGS) {
    const setting = `${SECTION}.${key}`;
    for (const f of o.files ?? []) add(setting, f.source, settingsObject(f)?.[setting]);
    const i = o.inspect?.(key);
    add(setting, 'folder settings', i?.workspaceFolderValue);
    add(setting, 'workspace settings', i?.workspaceValue);
  }
  return out;
}

/** The message shown once per ignored value. */
export function restrictedModeMessage(ignored: IgnoredSetting, used: string): string {
  return (
    `Restricted mode: ${ignored.setting} = ${JSON.stringify(ignored.value)} from ${ignored.source} is ignored, because an untrusted workspace ` +
    `cannot choose the files Chronos Lens loads; using ${JSON.stringify(used)} from your user settings. Trust the workspace to use its setting.`
  );
}
