/**
 * @module edge/camera/capture/onvif
 * Device init with node-onvif (by `xaddr`: `address` rebuilds URIs and mangles ports and paths),
 * bounded by a timeout because node-onvif can wait forever when a response surprises its parser.
 */
import onvif from 'node-onvif';

export interface MediaProfile {
  token: string;
  name?: string;
  snapshotUri: string;
  width?: number;
  height?: number;
}

export interface OnvifInfo {
  /** the configured profile (or the first): what `snapshotUri`, `width`, `height` describe */
  snapshotUri: string;
  profileToken: string;
  /** every profile with a usable snapshot URI, in the camera's order */
  profiles: MediaProfile[];
  manufacturer?: string;
  model?: string;
  serial?: string;
  /** camera clock minus ours, ms (node-onvif uses it for WS-Security timestamps) */
  timeDiffMs: number;
  width?: number;
  height?: number;
}

type Xml = string | { _?: string } | undefined;
/** xml2js gives `{ _: text, $: attrs }` when an element has attributes (Bosch puts xmlns on each). */
export function xmlText(v: unknown): string | undefined {
  const t =
    typeof v === 'string'
      ? v
      : typeof v === 'object' && v && typeof (v as { _?: unknown })._ === 'string'
        ? (v as { _: string })._
        : undefined;
  return t?.trim();
}

// node-onvif turns a fault reason with attributes (xml:lang) into "[object Object]": unwrap it.
const soapHelper = (onvif as unknown as { _OnvifSoap: { _getFaultReason(r: unknown): unknown } })._OnvifSoap;
const origFault = soapHelper._getFaultReason;
soapHelper._getFaultReason = function (this: unknown, r: unknown) {
  const v = origFault.call(this, r);
  return typeof v === 'object' && v ? (xmlText(v) ?? JSON.stringify(v)) : v;
};

/** Per device: unwrap and trim the addresses it reports (padded URIs, attribute-wrapped text). */
function patchAddressing(dev: object): void {
  const d = dev as Record<string, (x: Xml) => string>;
  for (const k of ['_getXaddr', '_getUri', '_getSnapshotUri']) {
    const orig = d[k];
    d[k] = (x: Xml) => orig.call(dev, xmlText(x) ?? (x as string));
  }
}

export function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let t: NodeJS.Timeout | undefined;
  return Promise.race([
    p,
    new Promise<never>((_, reject) => {
      t = setTimeout(() => reject(new Error(`${what} timed out after ${ms} ms`)), ms);
    }),
  ]).finally(() => clearTimeout(t));
}

export async function connectOnvif(o: {
  xaddr: string;
  user?: string;
  pass?: string;
  profile?: string;
  timeoutMs: number;
}): Promise<OnvifInfo> {
  const dev = new onvif.OnvifDevice({ xaddr: o.xaddr.trim(), user: o.user ?? '', pass: o.pass ?? '' });
  patchAddressing(dev);
  let info: Record<string, unknown>;
  try {
    info = await withTimeout(dev.init(), o.timeoutMs, 'ONVIF init');
  } catch (e) {
    // node-onvif prefixes its own text; keep the cause readable on the devices board.
    throw new Error(
      String((e as Error).message).replace(/^Failed to initialize the device: (Error: )?/, 'ONVIF init: '),
    );
  }
  if (o.profile && !dev.changeProfile(o.profile)) throw new Error(`ONVIF profile "${o.profile}" not found`);
  const p = dev.getCurrentProfile();
  if (!p) throw new Error('ONVIF: the camera has no media profile');
  const snapshotUri = String(p.snapshot ?? '').trim();
  if (!/^https?:\/\//i.test(snapshotUri))
    throw new Error(`ONVIF: no usable snapshot URI (got "${snapshotUri}")`);
  const trim = xmlText;
  const num = (v: unknown) => (Number.isFinite(v) && (v as number) > 0 ? (v as number) : undefined);
  const profiles: MediaProfile[] = dev
    .getProfileList()
    .map((x) => ({
      token: xmlText(x.token) ?? '',
      name: trim(x.name),
      snapshotUri: String(x.snapshot ?? '').trim(),
      width: num(x.video?.encoder?.resolution?.width) ?? num(x.video?.source?.bounds?.width),
      height: num(x.video?.encoder?.resolution?.height) ?? num(x.video?.source?.bounds?.height),
    }))
    .filter((x) => /^https?:\/\//i.test(x.snapshotUri));
  return {
    snapshotUri,
    profileToken: xmlText(p.token) ?? '',
    profiles,
    manufacturer: trim(info?.Manufacturer),
    model: trim(info?.Model),
    serial: trim(info?.SerialNumber),
    timeDiffMs: dev.time_diff ?? 0,
    width: num(p.video?.encoder?.resolution?.width) ?? num(p.video?.source?.bounds?.width),
    height: num(p.video?.encoder?.resolution?.height) ?? num(p.video?.source?.bounds?.height),
  };
}
