/** Minimal types for the parts of node-onvif (0.1.7, untyped CommonJS) this pipeline uses. */
declare module 'node-onvif' {
  export interface OnvifProfile {
    token: string;
    name: string;
    snapshot: string;
    stream: { udp: string; http: string; rtsp: string };
    video: {
      source: { bounds: { width: number; height: number } } | null;
      encoder: { resolution: { width: number; height: number } } | null;
    };
  }
  export interface OnvifProbeMatch {
    urn: string;
    name: string;
    hardware: string;
    location: string;
    types: string[] | string;
    xaddrs: string[];
    scopes: string[];
  }
  export class OnvifDevice {
    constructor(params: { xaddr?: string; address?: string; user?: string; pass?: string });
    init(): Promise<Record<string, string>>;
    getCurrentProfile(): OnvifProfile | null;
    getProfileList(): OnvifProfile[];
    changeProfile(indexOrToken: number | string): OnvifProfile | null;
    fetchSnapshot(): Promise<{ headers: Record<string, string>; body: Buffer }>;
    time_diff: number;
  }
  interface Onvif {
    OnvifDevice: typeof OnvifDevice;
    startProbe(): Promise<OnvifProbeMatch[]>;
    stopProbe(): Promise<void>;
    _MULTICAST_ADDRESS: string;
    _PORT: number;
    _DISCOVERY_WAIT: number;
    _DISCOVERY_RETRY_MAX: number;
  }
  const onvif: Onvif;
  export default onvif;
}
