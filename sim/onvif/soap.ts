/**
 * @module sim/onvif/soap
 * SOAP envelopes a typical ONVIF camera answers with (tds/trt/tt prefixes), the request parser
 * (operation name, WS-UsernameToken) and the NotAuthorized fault.
 */
import { createHash } from 'node:crypto';

const NS =
  'xmlns:s="http://www.w3.org/2003/05/soap-envelope" xmlns:tt="http://www.onvif.org/ver10/schema" ' +
  'xmlns:tds="http://www.onvif.org/ver10/device/wsdl" xmlns:trt="http://www.onvif.org/ver10/media/wsdl" ' +
  'xmlns:ter="http://www.onvif.org/ver10/error"';

export const envelope = (body: string) =>
  `<?xml version="1.0" encoding="UTF-8"?><s:Envelope ${NS}><s:Header/><s:Body>${body}</s:Body></s:Envelope>`;

export interface SoapRequest {
  op: string;
  username?: string;
  passwordDigest?: string;
  nonce?: string;
  created?: string;
  profileToken?: string;
}

const text = (xml: string, tag: string) =>
  new RegExp(`<(?:[\\w-]+:)?${tag}\\b[^>]*>([^<]*)</(?:[\\w-]+:)?${tag}>`).exec(xml)?.[1]?.trim();

export function parseSoapRequest(xml: string): SoapRequest | undefined {
  const op = /<(?:[\w-]+:)?Body\b[^>]*>\s*<(?:[\w-]+:)?([\w]+)/.exec(xml)?.[1];
  if (!op) return undefined;
  return {
    op,
    username: text(xml, 'Username'),
    passwordDigest: text(xml, 'Password'),
    nonce: text(xml, 'Nonce'),
    created: text(xml, 'Created'),
    profileToken: text(xml, 'ProfileToken'),
  };
}

/** WS-Security UsernameToken PasswordDigest = Base64(SHA1(nonce + created + password)). */
export function passwordDigest(nonceB64: string, created: string, password: string): string {
  return createHash('sha1')
    .update(Buffer.concat([Buffer.from(nonceB64, 'base64'), Buffer.from(created), Buffer.from(password)]))
    .digest('base64');
}

export const notAuthorizedFault = () =>
  envelope(
    '<s:Fault><s:Code><s:Value>s:Sender</s:Value><s:Subcode><s:Value>ter:NotAuthorized</s:Value></s:Subcode></s:Code>' +
      '<s:Reason><s:Text xml:lang="en">Sender not Authorized</s:Text></s:Reason></s:Fault>',
  );

export const actionNotSupportedFault = (op: string) =>
  envelope(
    '<s:Fault><s:Code><s:Value>s:Receiver</s:Value><s:Subcode><s:Value>ter:ActionNotSupported</s:Value></s:Subcode></s:Code>' +
      `<s:Reason><s:Text xml:lang="en">${op} is not supported</s:Text></s:Reason></s:Fault>`,
  );

export interface DeviceFacts {
  base: string;
  pad: (uri: string) => string;
  now: Date;
  manufacturer: string;
  model: string;
  serial: string;
  /** media profiles, main stream first; snapshot URI subtype = index */
  profiles: readonly SimProfile[];
  /** the profile a GetSnapshotUri asked for */
  profileToken?: string;
}

export interface SimProfile {
  token: string;
  name: string;
  width: number;
  height: number;
}

function profileXml(p: SimProfile, i: number): string {
  return `<trt:Profiles token="${p.token}" fixed="true"><tt:Name>${p.name}</tt:Name><tt:VideoSourceConfiguration token="vsc_1"><tt:Name>VideoSource</tt:Name><tt:UseCount>1</tt:UseCount><tt:SourceToken>vs_1</tt:SourceToken><tt:Bounds x="0" y="0" width="${p.width}" height="${p.height}"/></tt:VideoSourceConfiguration><tt:VideoEncoderConfiguration token="vec_${i + 1}"><tt:Name>H264</tt:Name><tt:UseCount>1</tt:UseCount><tt:Encoding>H264</tt:Encoding><tt:Resolution><tt:Width>${p.width}</tt:Width><tt:Height>${p.height}</tt:Height></tt:Resolution><tt:Quality>4</tt:Quality><tt:RateControl><tt:FrameRateLimit>25</tt:FrameRateLimit><tt:EncodingInterval>1</tt:EncodingInterval><tt:BitrateLimit>4096</tt:BitrateLimit></tt:RateControl></tt:VideoEncoderConfiguration></trt:Profiles>`;
}

function dateTime(d: Date): string {
  return (
    `<tt:Time><tt:Hour>${d.getUTCHours()}</tt:Hour><tt:Minute>${d.getUTCMinutes()}</tt:Minute><tt:Second>${d.getUTCSeconds()}</tt:Second></tt:Time>` +
    `<tt:Date><tt:Year>${d.getUTCFullYear()}</tt:Year><tt:Month>${d.getUTCMonth() + 1}</tt:Month><tt:Day>${d.getUTCDate()}</tt:Day></tt:Date>`
  );
}

/** The generated answer for an operation, or undefined when this camera does not know it. */
export function generated(op: string, f: DeviceFacts): string | undefined {
  const x = (p: string) => `<tt:XAddr>${f.pad(`${f.base}${p}`)}</tt:XAddr>`;
  switch (op) {
    case 'GetSystemDateAndTime':
      return envelope(
        `<tds:GetSystemDateAndTimeResponse><tds:SystemDateAndTime><tt:DateTimeType>NTP</tt:DateTimeType><tt:DaylightSavings>false</tt:DaylightSavings><tt:TimeZone><tt:TZ>CST-8</tt:TZ></tt:TimeZone><tt:UTCDateTime>${dateTime(f.now)}</tt:UTCDateTime></tds:SystemDateAndTime></tds:GetSystemDateAndTimeResponse>`,
      );
    case 'GetCapabilities':
      return envelope(
        `<tds:GetCapabilitiesResponse><tds:Capabilities><tt:Device>${x('/onvif/device_service')}</tt:Device><tt:Media>${x('/onvif/media_service')}<tt:StreamingCapabilities><tt:RTPMulticast>false</tt:RTPMulticast><tt:RTP_TCP>true</tt:RTP_TCP><tt:RTP_RTSP_TCP>true</tt:RTP_RTSP_TCP></tt:StreamingCapabilities></tt:Media></tds:Capabilities></tds:GetCapabilitiesResponse>`,
      );
    case 'GetDeviceInformation':
      return envelope(
        `<tds:GetDeviceInformationResponse><tds:Manufacturer>${f.manufacturer}</tds:Manufacturer><tds:Model>${f.model}</tds:Model><tds:FirmwareVersion>1.0.0</tds:FirmwareVersion><tds:SerialNumber>${f.serial}</tds:SerialNumber><tds:HardwareId>SIM</tds:HardwareId></tds:GetDeviceInformationResponse>`,
      );
    case 'GetProfiles':
      return envelope(
        `<trt:GetProfilesResponse>${f.profiles.map(profileXml).join('')}</trt:GetProfilesResponse>`,
      );
    case 'GetStreamUri':
      return envelope(
        `<trt:GetStreamUriResponse><trt:MediaUri><tt:Uri>${f.pad(`${f.base.replace(/^http/, 'rtsp')}/stream1`)}</tt:Uri><tt:InvalidAfterConnect>false</tt:InvalidAfterConnect><tt:InvalidAfterReboot>false</tt:InvalidAfterReboot><tt:Timeout>PT0S</tt:Timeout></trt:MediaUri></trt:GetStreamUriResponse>`,
      );
    case 'GetSnapshotUri':
      return envelope(
        `<trt:GetSnapshotUriResponse><trt:MediaUri><tt:Uri>${f.pad(
          `${f.base}/snapshot.jpg?channel=1&amp;subtype=${Math.max(
            0,
            f.profiles.findIndex((p) => p.token === f.profileToken),
          )}`,
        )}</tt:Uri><tt:InvalidAfterConnect>false</tt:InvalidAfterConnect><tt:InvalidAfterReboot>false</tt:InvalidAfterReboot><tt:Timeout>PT0S</tt:Timeout></trt:MediaUri></trt:GetSnapshotUriResponse>`,
      );
    default:
      return undefined;
  }
}
