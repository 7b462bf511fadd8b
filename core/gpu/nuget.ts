/**
 * The parts of the NuGet v3 protocol needed to fetch one package version and its checksum:
 *   service index   GET {index}                              -> resources[{@id, @type}]
 *   registration    GET {RegistrationsBaseUrl}{id}/{ver}.json  -> {catalogEntry: url, packageContent: url}
 *                   (RegistrationsBaseUrl/3.6.0 and /3.4.0 answer gzip-compressed; the plain one does not)
 *   catalog leaf    GET {catalogEntry}                       -> {packageHash (base64), packageHashAlgorithm: SHA512, packageSize}
 *   content         GET {packageContent}, else {PackageBaseAddress/3.0.0}{id}/{ver}/{id}.{ver}.nupkg
 *   versions        GET {PackageBaseAddress/3.0.0}{id}/index.json -> {versions: [...]} (for messages)
 * The package's SHA-512 is only in the catalog leaf (not in the flat container, not in the registration
 * index), so that one extra request is what makes the download verifiable. Ids and versions are
 * lower-cased in URLs, as the protocol requires. Redirects are followed.
 */
import type * as http from 'http';
import * as zlib from 'zlib';
import { discard, networkError, openRequest, redirectTarget, type HttpSettings } from '../hub/http';
import { HubError } from '../hub/hub-error';

export const USER_AGENT = `chronos-lens (gpu support); node/${process.versions.node}`;

export interface NugetPackageInfo {
  id: string;
  version: string;
  /** Where to GET the .nupkg. */
  contentUrl: URL;
  /** SHA-512 of the .nupkg, base64, from the catalog. */
  sha512: string;
  /** Size of the .nupkg in bytes, when the catalog says. */
  size?: number;
  /** The catalog leaf the checksum came from. */
  catalogUrl: string;
}

function header(res: http.IncomingMessage, name: string): string | undefined {
  const v = res.headers[name.toLowerCase()];
  return Array.isArray(v) ? v[0] : v;
}

/** GET with redirects (any origin; NuGet feeds send nothing secret). Non-2xx answers are returned, not thrown. */
export async function getFollowing(url: URL, http: HttpSettings, extra: Record<string, string> = {}): Promise<{ res: http.IncomingMessage; url: URL }> {
  let cur = url;
  for (let hop = 0; hop <= 10; hop++) {
    const res = await openRequest(cur, { method: 'GET', headers: { 'User-Agent': USER_AGENT, ...extra } }, http);
    const status = res.statusCode ?? 0;
    const loc = header(res, 'location');
    if (status >= 300 && status < 400 && loc) {
      discard(res);
      cur = redirectTarget(loc, cur);
      continue;
    }
    return { res, url: cur };
  }
  throw new HubError('NETWORK', 'bad-response', `Too many redirects from ${url.host}.`);
}

export function httpStatusError(status: number, what: string, url: URL): HubError {
  if (status === 404) return new HubError('NOT_FOUND', 'entry-not-found', `${what} was not found on ${url.host} (HTTP 404, ${url.href}).`, { status });
  if (status === 401 || status === 403) return new HubError('NETWORK', status === 401 ? 'unauthorized' : 'forbidden', `${url.host} refused ${what} (HTTP ${status}): the feed needs credentials, which Chronos Lens does not send; use nuget.org or a feed that allows anonymous reads.`, { status });
  if (status === 407) return new HubError('NETWORK', 'proxy', 'The proxy needs credentials (HTTP 407): put them in the proxy URL (http://user:password@host:port).', { status });
  if (status >= 500 || status === 429) return new HubError('NETWORK', 'http', `${url.host} had a problem answering ${what} (HTTP ${status}); try again later.`, { status });
  return new HubError('NETWORK', 'http', `Unexpected answer HTTP ${status} from ${url.host} for ${what}.`, { status });
}

/** GETs a JSON document (gzip/deflate decoded), with a size cap. */
export async function getJson(url: URL, http: HttpSettings, what: string, limit = 16 << 20): Promise<unknown> {
  const { res, url: finalUrl } = await getFollowing(url, http, { Accept: 'application/json', 'Accept-Encoding': 'gzip, deflate, identity' });
  const status = res.statusCode ?? 0;
  if (status < 200 || status >= 300) {
    discard(res);
    throw httpStatusError(status, what, finalUrl);
  }
  const chunks: Buffer[] = [];
  let n = 0;
  try {
    for await (const c of res) {
      n += (c as Buffer).length;
      if (n > limit) {
        res.destroy();
        throw new HubError('NETWORK', 'bad-response', `${what} from ${finalUrl.host} is larger than ${limit} bytes: not a NuGet document.`);
      }
      chunks.push(c as Buffer);
    }
  } catch (e) {
    throw networkError(e, finalUrl.host);
  }
  let body = Buffer.concat(chunks);
  const enc = (header(res, 'content-encoding') ?? '').toLowerCase();
  try {
    if (enc === 'gzip' || (body.length > 2 && body[0] === 0x1f && body[1] === 0x8b)) body = zlib.gunzipSync(body);
    else if (enc === 'deflate') body = zlib.inflateSync(body);
  } catch (e) {
    throw new HubError('NETWORK', 'bad-response', `${what} from ${finalUrl.host} could not be decompressed (${(e as Error).message}).`, { cause: e });
  }
  try {
    return JSON.parse(body.toString('utf8').replace(/^\uFEFF/, '')) as unknown;
  } catch (e) {
    throw new HubError('NETWORK', 'bad-response', `${what} from ${finalUrl.host} is not JSON (${(e as Error).message}): check the NuGet feed URL and the proxy setting.`, { cause: e });
  }
}

interface ServiceIndex {
  packageBase?: string;
  registrationBase?: string;
}

const REGISTRATION_TYPES = ['RegistrationsBaseUrl/3.6.0', 'RegistrationsBaseUrl/3.4.0', 'RegistrationsBaseUrl/Versioned', 'RegistrationsBaseUrl/3.0.0-rc', 'RegistrationsBaseUrl/3.0.0-beta', 'RegistrationsBaseUrl'];

function withSlash(u: string): string {
  return u.endsWith('/') ? u : `${u}/`;
}

export async function readServiceIndex(indexUrl: URL, http: HttpSettings): Promise<ServiceIndex> {
  const doc = (await getJson(indexUrl, http, 'the NuGet service index')) as { resources?: Array<Record<string, unknown>> };
  if (!doc || !Array.isArray(doc.resources)) {
    throw new HubError('NETWORK', 'bad-response', `${indexUrl.href} is not a NuGet v3 service index (no "resources").`);
  }
  const find = (type: string) => {
    const r = doc.resources!.find((x) => x['@type'] === type && typeof x['@id'] === 'string');
    return r ? withSlash(new URL(r['@id'] as string, indexUrl).href) : undefined;
  };
  let registrationBase: string | undefined;
  for (const t of REGISTRATION_TYPES) {
    registrationBase = find(t);
    if (registrationBase) break;
  }
  return { packageBase: find('PackageBaseAddress/3.0.0'), registrationBase };
}

async function availableVersions(packageBase: string | undefined, idLower: string, http: HttpSettings): Promise<string[] | undefined> {
  if (!packageBase) return undefined;
  try {
    const doc = (await getJson(new URL(`${idLower}/index.json`, packageBase), http, 'the package version list')) as { versions?: unknown };
    return Array.isArray(doc.versions) ? doc.versions.filter((v): v is string => typeof v === 'string') : undefined;
  } catch {
    return undefined;
  }
}

/** Resolves a package version on a NuGet v3 feed to its download URL and published SHA-512. */
export async function resolveNugetPackage(indexUrl: URL, id: string, version: string, http: HttpSettings): Promise<NugetPackageInfo> {
  const idLower = id.toLowerCase();
  const verLower = version.toLowerCase();
  const index = await readServiceIndex(indexUrl, http);
  if (!index.registrationBase) {
    throw new HubError('NETWORK', 'bad-response', `The NuGet feed ${indexUrl.href} has no package metadata (RegistrationsBaseUrl) resource, so the checksum of ${id} ${version} cannot be checked; refusing to install unverified native libraries.`);
  }
  let leaf: Record<string, unknown>;
  try {
    leaf = (await getJson(new URL(`${idLower}/${verLower}.json`, index.registrationBase), http, `the registration of ${id} ${version}`)) as Record<string, unknown>;
  } catch (e) {
    if (e instanceof HubError && e.status === 404) {
      const versions = await availableVersions(index.packageBase, idLower, http);
      const known = versions?.length ? ` Versions on the feed: ${versions.slice(-8).join(', ')}.` : '';
      throw new HubError('NOT_FOUND', 'entry-not-found', `${id} ${version} is not on the NuGet feed ${indexUrl.host}: ONNX Runtime publishes its CUDA provider for each release there, so this onnxruntime-node version may be a pre-release or the feed a mirror that lacks it.${known}`, { status: 404 });
    }
    throw e;
  }
  const ce = leaf.catalogEntry;
  const catalogUrl = typeof ce === 'string' ? ce : ce && typeof ce === 'object' && typeof (ce as Record<string, unknown>)['@id'] === 'string' ? ((ce as Record<string, unknown>)['@id'] as string) : undefined;
  if (!catalogUrl) throw new HubError('NETWORK', 'bad-response', `The registration of ${id} ${version} on ${indexUrl.host} names no catalog entry, so its checksum cannot be checked.`);
  const catalog = (await getJson(new URL(catalogUrl, indexUrl), http, `the catalog entry of ${id} ${version}`)) as Record<string, unknown>;
  const algo = String(catalog.packageHashAlgorithm ?? '').toUpperCase();
  const hash = catalog.packageHash;
  if (typeof hash !== 'string' || !hash || algo !== 'SHA512') {
    throw new HubError('NETWORK', 'bad-response', `The catalog entry of ${id} ${version} (${catalogUrl}) has no SHA-512 package hash (packageHashAlgorithm "${algo || 'missing'}"), so the download cannot be verified; refusing to install it.`);
  }
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(hash) || Buffer.from(hash, 'base64').length !== 64) {
    throw new HubError('NETWORK', 'bad-response', `The catalog entry of ${id} ${version} has a malformed SHA-512 package hash.`);
  }
  if (typeof catalog.version === 'string' && catalog.version.toLowerCase() !== verLower) {
    throw new HubError('NETWORK', 'bad-response', `The catalog entry ${catalogUrl} is for version ${catalog.version}, not ${version}.`);
  }
  const size = typeof catalog.packageSize === 'number' && Number.isFinite(catalog.packageSize) ? catalog.packageSize : undefined;
  let contentUrl: URL | undefined;
  if (typeof leaf.packageContent === 'string') contentUrl = new URL(leaf.packageContent, indexUrl);
  else if (index.packageBase) contentUrl = new URL(`${idLower}/${verLower}/${idLower}.${verLower}.nupkg`, index.packageBase);
  if (!contentUrl) throw new HubError('NETWORK', 'bad-response', `The NuGet feed ${indexUrl.host} says nowhere where to download ${id} ${version}.`);
  return { id, version, contentUrl, sha512: hash, size, catalogUrl };
}
