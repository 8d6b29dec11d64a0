/**
 * IEEE 802.11 frames (DLT_IEEE802_11, link type 105, and after a radiotap header): the frame control field,
 * the MAC header, management frames (beacon, probe request/response, (re)association, authentication,
 * deauthentication, disassociation, action) with their SSID, rates and channel, control frames (RTS, CTS, ACK,
 * BA, BAR, PS-Poll, CF-End) and data frames, whose LLC/SNAP payload goes on to the llc dissector.
 *
 * tcpdump's line (print-802_11.c): the MAC header only with -e ("BSSID:.. DA:.. SA:.. ", with -v the frame
 * control flags and the duration first), then the body: "Beacon (ssid) [1.0* 2.0* 5.5 11.0 Mbit] ESS CH: 1",
 * "DeAuthentication (sa): reason", "Acknowledgment RA:.. ", "Data IV:..." for a protected data frame, or the
 * payload's own line. A body that runs off the captured bytes ends in " [|802.11]".
 */
import { bind } from "../registry.js";
import { macAt, printChar } from "../format.js";
import { fields, type Ctx, type Protocol, type TreeSink } from "../types.js";
import type { Reader } from "../reader.js";

/** The radiotap layer's Flags for the frame that follows: 1 = an FCS ends it, 2 = the header is padded to 32 bits. */
let radioFlags = 0;
export function setRadioFlags(f: number): void {
  radioFlags = f;
}

const TYPE_NAMES: Readonly<Record<number, string>> = { 0: "Management frame", 1: "Control frame", 2: "Data frame", 3: "Extension frame" };
const F = fields("wlan", {
  fc: ["Frame Control Field", "uint", { base: "hex" }],
  "fc.version": ["Version", "uint"],
  "fc.type": ["Type", "uint", { values: TYPE_NAMES }],
  "fc.subtype": ["Subtype", "uint"],
  "fc.type_subtype": ["Type/Subtype", "uint", { base: "hex" }],
  "fc.ds": ["DS status", "uint", { base: "hex" }],
  "fc.tods": ["To DS", "bool"],
  "fc.fromds": ["From DS", "bool"],
  "fc.frag": ["More Fragments", "bool"],
  "fc.retry": ["Retry", "bool"],
  "fc.pwrmgt": ["PWR MGT", "bool"],
  "fc.moredata": ["More Data", "bool"],
  "fc.protected": ["Protected flag", "bool"],
  "fc.order": ["+HTC/Order flag", "bool"],
  duration: ["Duration", "uint"],
  aid: ["Association ID", "uint"],
  ra: ["Receiver address", "ether"],
  ta: ["Transmitter address", "ether"],
  da: ["Destination address", "ether"],
  sa: ["Source address", "ether"],
  bssid: ["BSS Id", "ether"],
  frag: ["Fragment number", "uint"],
  seq: ["Sequence number", "uint"],
  "qos.priority": ["Priority", "uint"],
  "fixed.timestamp": ["Timestamp", "uint"],
  "fixed.beacon": ["Beacon Interval", "uint"],
  "fixed.capabilities": ["Capabilities Information", "uint", { base: "hex" }],
  "fixed.capabilities.ess": ["ESS capabilities", "bool"],
  "fixed.capabilities.privacy": ["Privacy", "bool"],
  "fixed.listen_ival": ["Listen Interval", "uint"],
  "fixed.current_ap": ["Current AP", "ether"],
  "fixed.status_code": ["Status code", "uint"],
  "fixed.aid": ["Association ID", "uint", { base: "hex" }],
  "fixed.reason_code": ["Reason code", "uint"],
  "fixed.auth.alg": ["Authentication Algorithm", "uint"],
  "fixed.auth_seq": ["Authentication SEQ", "uint", { base: "hex" }],
  "fixed.category_code": ["Category code", "uint"],
  "fixed.action_code": ["Action code", "uint"],
  "tag.number": ["Tag Number", "uint"],
  "tag.length": ["Tag length", "uint"],
  ssid: ["SSID", "string"],
  supported_rates: ["Supported Rates", "float"],
  "ds.current_channel": ["Current Channel", "uint"],
  "mesh.id": ["Mesh ID", "string"],
  "wep.iv": ["Initialization Vector", "uint", { base: "hex" }],
  "wep.key": ["Key Index", "uint"],
  fcs: ["Frame check sequence", "uint", { base: "hex" }],
});

const MGMT_NAMES: readonly string[] = [
  "Assoc Request", "Assoc Response", "ReAssoc Request", "ReAssoc Response", "Probe Request", "Probe Response", "", "",
  "Beacon", "ATIM", "Disassociation", "Authentication", "DeAuthentication", "Action", "", "",
];
const CTRL_NAMES: Readonly<Record<number, string>> = {
  7: "Control Wrapper", 8: "BAR", 9: "BA", 10: "Power Save-Poll", 11: "Request-To-Send", 12: "Clear-To-Send",
  13: "Acknowledgment", 14: "CF-End", 15: "CF-End+CF-Ack",
};
/** The MAC header's length by control subtype (0: not a control frame tcpdump knows). */
const CTRL_HDRLEN: readonly number[] = [0, 0, 0, 0, 0, 0, 0, 16, 20, 16, 16, 16, 10, 10, 16, 16];
const AUTH_ALGS = ["Open System", "Shared Key", "EAP"];
const CATEGORIES: Readonly<Record<number, string>> = {
  0: "Spectrum Management", 1: "QoS", 2: "DLS", 3: "BA", 7: "HT", 13: "MeshAction", 14: "MultihopAction", 15: "SelfprotectAction", 127: "Vendor",
};
const ACTIONS: Readonly<Record<number, readonly (string | undefined)[]>> = {
  3: ["ADDBA Request", "ADDBA Response", "DELBA"],
  7: ["TxChWidth", "MIMOPwrSave"],
  13: ["MeshLink", "HWMP", "Gate Announcement", "Congestion Control", "MCCA Setup Request", "MCCA Setup Reply", "MCCA Advertisement Request", "MCCA Advertisement", "MCCA Teardown", "TBTT Adjustment Request", "TBTT Adjustment Response"],
  14: ["Proxy Update", "Proxy Update Confirmation"],
  15: [undefined, "Peering Open", "Peering Confirm", "Peering Close", "Group Key Inform", "Group Key Acknowledge"],
};

/** Status codes (IEEE 802.11-2016 table 9-46) in tcpdump's words; beyond the table tcpdump prints "n/a". */
const STATUS: readonly string[] = [
  "Successful", "Unspecified failure", "TDLS wakeup schedule rejected but alternative schedule provided", "TDLS wakeup schedule rejected",
  "Reserved", "Security disabled", "Unacceptable lifetime", "Not in same BSS", "Reserved", "Reserved",
  "Cannot Support all requested capabilities in the Capability Information field",
  "Reassociation denied due to inability to confirm that association exists",
  "Association denied due to reason outside the scope of this standard",
  "Responding STA does not support the specified authentication algorithm",
  "Received an Authentication frame with authentication transaction sequence number out of expected sequence",
  "Authentication rejected because of challenge failure",
  "Authentication rejected due to timeout waiting for next frame in sequence",
  "Association denied because AP is unable to handle additional associated STAs",
  "Association denied due to requesting STA not supporting all of the data rates in the BSSBasicRateSet parameter, the Basic HT-MCS Set field of the HT Operation parameter, or the Basic VHT-MCS and NSS Set field in the VHT Operation parameter",
  "Association denied due to requesting STA not supporting the short preamble option", "Reserved", "Reserved",
  "Association request rejected because Spectrum Management capability is required",
  "Association request rejected because the information in the Power Capability element is unacceptable",
  "Association request rejected because the information in the Supported Channels element is unacceptable",
  "Association denied due to requesting STA not supporting the Short Slot Time option", "Reserved",
  "Association denied because the requested STA does not support HT features", "R0KH unreachable",
  "Association denied because the requesting STA does not support the phased coexistence operation (PCO) transition time required by the AP",
  "Association request rejected temporarily; try again later", "Robust management frame policy violation",
  "Unspecified, QoS-related failure", "Association denied because QoS AP or PCP has insufficient bandwidth to handle another QoS STA",
  "Association denied due to excessive frame loss rates and/or poor conditions on current operating channel",
  "Association (with QoS BSS) denied because the requesting STA does not support the QoS facility", "Reserved",
  "The request has been declined", "The request has not been successful as one or more parameters have invalid values",
  "The allocation or TS has not been created because the request cannot be honored; however, a suggested TSPEC/DMG TSPEC is provided so that the initiating STA can attempt to set another allocation or TS with the suggested changes to the TSPEC/DMG TSPEC",
  "Invalid element, i.e., an element defined in this standard for which the content does not meet the specifications in Clause 9",
  "Invalid group cipher", "Invalid pairwise cipher", "Invalid AKMP", "Unsupported RSNE version", "Invalid RSNE capabilities",
  "Cipher suite rejected because of security policy",
  "The TS or allocation has not been created; however, the HC or PCP might be capable of creating a TS or allocation, in response to a request, after the time indicated in the TS Delay element",
  "Direct Link is not allowed in the BSS by policy", "The Destination STA is not present within this BSS", "The Destination STA is not a QoS STA",
  "Association denied because the listen interval is too large", "Invalid FT Action frame count",
  "Invalid pairwise master key identifier (PMKID)", "Invalid MDE", "Invalid FTE",
  "Requested TCLAS processing is not supported by the AP or PCP", "The AP or PCP has insufficient TCLAS processing resources to satisfy the request",
  "The TS has not been created because the request cannot be honored; however, the HC or PCP suggests that the STA transition to a different BSS to set up the TS",
  "GAS Advertisement Protocol not supported", "No outstanding GAS request", "GAS Response not received from the Advertisement Server",
  "STA timed out waiting for GAS Query Response", "LARGE GAS Response is larger than query response length limit",
  "Request refused because home network does not support request", "Advertisement Server in the network is not currently reachable", "Reserved",
  "Request refused due to permissions received via SSPN interface", "Request refused because the AP or PCP does not support unauthenticated access",
  "Reserved", "Reserved", "Reserved", "Invalid contents of RSNE", "U-APSD coexistence is not supported",
  "Requested U-APSD coexistence mode is not supported", "Requested Interval/Duration value cannot be supported with U-APSD coexistence",
  "Authentication is rejected because an Anti-Clogging Token is required", "Authentication is rejected because the offered finite cyclic group is not supported",
  "The TBTT adjustment request has not been successful because the STA could not find an alternative TBTT", "Transmission failure",
  "Requested TCLAS Not Supported", "TCLAS Resources Exhausted", "Rejected with Suggested BSS transition", "Reject with recommended schedule",
  "Reject because no wakeup schedule specified", "Success, the destination STA is in power save mode",
  "FST pending, in process of admitting FST session", "Performing FST now", "FST pending, gap(s) in block ack window",
  "Reject because of U-PID setting", "Reserved", "Reserved", "(Re)Association refused for some external reason",
  "(Re)Association refused because of memory limits at the AP", "(Re)Association refused because emergency services are not supported at the AP",
  "GAS query response not yet received",
  "Reject since the request is for transition to a frequency band subject to DSE procedures and FST Initiator is a dependent STA",
  "Requested TCLAS processing has been terminated by the AP", "The TS schedule conflicts with an existing schedule; an alternative schedule is provided",
  "The association has been denied; however, one or more Multi-band elements are included that can be used by the receiving STA to join the BSS",
  "The request failed due to a reservation conflict", "The request failed due to exceeded MAF limit", "The request failed due to exceeded MCCA track limit",
  "Association denied because the information in theSpectrum Management field is unacceptable",
  "Association denied because the requesting STA does not support VHT features", "Enablement denied",
  "Enablement denied due to restriction from an authorized GDB", "Authorization deenabled",
];
/** Reason codes (table 9-45) in tcpdump's words; beyond the table, "Reserved". */
const REASONS: readonly string[] = [
  "Reserved", "Unspecified reason", "Previous authentication no longer valid",
  "Deauthenticated because sending STA is leaving (or has left) IBSS or ESS", "Disassociated due to inactivity",
  "Disassociated because AP is unable to handle all currently  associated STAs", "Class 2 frame received from nonauthenticated STA",
  "Class 3 frame received from nonassociated STA", "Disassociated because sending STA is leaving (or has left) BSS",
  "STA requesting (re)association is not authenticated with responding STA",
  "Disassociated because the information in the Power Capability element is unacceptable",
  "Disassociated because the information in the Supported Channels element is unacceptable",
  "Disassociated due to BSS transition management",
  "Invalid element, i.e., an element defined in this standard for which the content does not meet the specifications in Clause 9",
  "Message integrity code (MIC) failure", "4-Way Handshake timeout", "Group key handshake timeout",
  "Information element in 4-Way Handshake different from (Re)AssociationRequest/Probe Response/Beacon frame",
  "Invalid group cipher", "Invalid pairwise cipher", "Invalid AKMP", "Unsupported RSNE version", "Invalid RSNE capabilities",
  "IEEE 802.1X authentication failed", "Cipher suite rejected because of the security policy",
  "TDLS direct-link teardown due to TDLS peer STA unreachable via the TDLS direct link", "TDLS direct-link teardown for unspecified reason",
  "Disassociated because session terminated by SSP request", "Disassociated because of lack of SSP roaming agreement",
  "Requested service rejected because of SSP cipher suite or AKM requirement", "Requested service not authorized in this location",
  "TS deleted because QoS AP lacks sufficient bandwidth for this QoS STA due to a change in BSS service characteristics or operational mode (e.g. an HT BSS change from 40 MHz channel to 20 MHz channel)",
  "Disassociated for unspecified, QoS-related reason", "Disassociated because QoS AP lacks sufficient bandwidth for this QoS STA",
  "Disassociated because of excessive number of frames that need to be acknowledged, but are not acknowledged due to AP transmissions and/or poor channel conditions",
  "Disassociated because STA is transmitting outside the limits of its TXOPs",
  "Requested from peer STA as the STA is leaving the BSS (or resetting)", "Requested from peer STA as it does not want to use the mechanism",
  "Requested from peer STA as the STA received frames using the mechanism for which a set up is required",
  "Requested from peer STA due to time out", "Reserved", "Reserved", "Reserved", "Reserved", "Reserved",
  "Peer STA does not support the requested cipher suite",
  "In a DLS Teardown frame: The teardown was initiated by the DLS peer. In a Disassociation frame: Disassociated because authorized access limit reached",
  "In a DLS Teardown frame: The teardown was initiated by the AP. In a Disassociation frame: Disassociated due to external service requirements",
  "Invalid FT Action frame count", "Invalid pairwise master key identifier (PMKID)", "Invalid MDE", "Invalid FTE",
  "Mesh peering canceled for unknown reasons", "The mesh STA has reached the supported maximum number of peer mesh STAs",
  "The received information violates the Mesh Configuration policy configured in the mesh STA profile",
  "The mesh STA has received a Mesh Peering Close frame requesting to close the mesh peering",
  "The mesh STA has resent dot11MeshMaxRetries Mesh Peering Open frames, without receiving a Mesh Peering Confirm frame",
  "The confirmTimer for the mesh peering instance times out",
  "The mesh STA fails to unwrap the GTK or the values in the wrapped contents do not match",
  "The mesh STA receives inconsistent information about the mesh parameters between mesh peering Management frames",
  "The mesh STA fails the authenticated mesh peering exchange because due to failure in selecting either the pairwise ciphersuite or group ciphersuite",
  "The mesh STA does not have proxy information for this external destination",
  "The mesh STA does not have forwarding information for this destination",
  "The mesh STA determines that the link to the next hop of an active path in its forwarding information is no longer usable",
  "The Deauthentication frame was sent because the MAC address of the STA already exists in the mesh BSS",
  "The mesh STA performs channel switch to meet regulatory requirements", "The mesh STA performs channel switching with unspecified reason",
];

/**
 * Text of an SSID or mesh ID as tcpdump prints a C string: up to the first NUL, bytes above 0x7f as "M-"
 * and the low 7 bits, control characters as "^X" (the result is printable ASCII).
 */
function cText(r: Reader, at: number, n: number): string {
  let s = "";
  for (let i = 0; i < n; i++) {
    const c = r.byteAt(at + i);
    if (c === 0) break;
    s += printChar(c);
  }
  return s;
}

/** What the elements of a management body hold (the first of each kind, as tcpdump keeps them). */
interface Elements {
  ssid: string | null;
  rates: number[] | null;
  channel: number;
  meshid: string | null;
}
const els: Elements = { ssid: null, rates: null, channel: -1, meshid: null };

/**
 * Walks the elements in [at, at + length) (reported bytes; the captured end is the reader's). False when one
 * runs off the captured or reported bytes, or is too long for tcpdump (it then ends the line in " [|802.11]").
 */
function parseElements(r: Reader, at: number, length: number, t: TreeSink): boolean {
  els.ssid = null;
  els.rates = null;
  els.channel = -1;
  els.meshid = null;
  while (length > 0) {
    if (at + 2 > r.cap || length < 2) return false;
    const id = r.byteAt(at), n = r.byteAt(at + 1);
    if (at + 2 + n > r.cap || length < n + 2) return false;
    if (t.on) {
      t.add(F["tag.number"], id, at, 1);
      t.add(F["tag.length"], n, at + 1, 1);
    }
    const v = at + 2;
    switch (id) {
      case 0:
        if (n > 32) return false;
        if (els.ssid === null) {
          els.ssid = cText(r, v, n);
          if (t.on) t.add(F.ssid, r.latin1At(v, n), v, n);
        }
        break;
      case 1:
        if (n > 16) return false;
        if (els.rates === null && n !== 0) {
          els.rates = [];
          for (let i = 0; i < n; i++) els.rates.push(r.byteAt(v + i));
          if (t.on) for (let i = 0; i < n; i++) t.add(F.supported_rates, (r.byteAt(v + i) & 0x7f) / 2, v + i, 1);
        }
        break;
      case 3:
        if (n === 1 && els.channel < 0) {
          els.channel = r.byteAt(v);
          if (t.on) t.add(F["ds.current_channel"], els.channel, v, 1);
        }
        break;
      case 5:
        if (n > 3 && n - 3 > 251) return false;
        break;
      case 16:
        if (n > 253) return false;
        break;
      case 114:
        if (n > 32) return false;
        if (els.meshid === null) {
          els.meshid = cText(r, v, n);
          if (t.on) t.add(F["mesh.id"], r.latin1At(v, n), v, n);
        }
        break;
    }
    at += 2 + n;
    length -= 2 + n;
  }
  return true;
}

function ssidText(): string {
  return els.ssid !== null ? ` (${els.ssid})` : "";
}
function ratesText(): string {
  if (!els.rates) return "";
  let s = " [";
  for (let i = 0; i < els.rates.length; i++) s += (i ? " " : "") + ((els.rates[i] & 0x7f) / 2).toFixed(1) + (els.rates[i] & 0x80 ? "*" : "");
  return s + " Mbit]";
}
function channelText(cap: number): string {
  return (els.channel >= 0 ? ` CH: ${els.channel}` : "") + (cap & 0x10 ? ", PRIVACY" : "");
}
const le16 = (r: Reader, at: number) => r.byteAt(at) | (r.byteAt(at + 1) << 8);
const le32 = (r: Reader, at: number) => (le16(r, at) | (le16(r, at + 2) << 16)) >>> 0;

/** " IV:%3x Pad %x KeyID %x" (false when the 4 bytes are not captured). */
function wepText(r: Reader, p: number, t: TreeSink): string | null {
  if (p + 4 > r.cap) return null;
  const iv = le32(r, p);
  if (t.on) {
    t.add(F["wep.iv"], iv & 0xffffff, p, 3);
    t.add(F["wep.key"], iv >>> 30, p + 3, 1);
  }
  return ` IV:${(iv & 0xffffff).toString(16).padStart(3, " ")} Pad ${((iv >>> 24) & 0x3f).toString(16)} KeyID ${(iv >>> 30).toString(16)}`;
}

const TRUNC = " [|802.11]";

/** The management body at p (length reported bytes): its text, ending in TRUNC when it ran off the data. */
function mgmtBody(r: Reader, ctx: Ctx, t: TreeSink, fc: number, hdr: number, p: number, length: number): void {
  const line = ctx.line;
  const sub = (fc >> 4) & 15;
  const name = MGMT_NAMES[sub];
  line.s(name || `Unhandled Management subtype(${sub.toString(16)})`);
  if (fc & 0x4000) {
    const w = wepText(r, p, t);
    line.s(w ?? TRUNC);
    return;
  }
  const sa = macAt(r.data, hdr + 10);
  const has = (n: number) => p + n <= r.cap && length >= n;
  let ok = true;
  switch (sub) {
    case 0: // assoc request
    case 4: // probe request
    case 2: {
      // reassoc request
      const fixed = sub === 0 ? 4 : sub === 2 ? 10 : 0;
      if (!has(fixed)) return void line.s(TRUNC);
      if (t.on && fixed) {
        t.add(F["fixed.capabilities"], le16(r, p), p, 2);
        t.add(F["fixed.listen_ival"], le16(r, p + 2), p + 2, 2);
        if (sub === 2) t.add(F["fixed.current_ap"], macAt(r.data, p + 4), p + 4, 6);
      }
      ok = parseElements(r, p + fixed, length - fixed, t);
      line.s(ssidText());
      if (sub === 2) line.s(` AP : ${macAt(r.data, p + 4)}`);
      else line.s(ratesText());
      break;
    }
    case 1:
    case 3: {
      // (re)assoc response
      if (!has(6)) return void line.s(TRUNC);
      const cap = le16(r, p), status = le16(r, p + 2), aid = le16(r, p + 4);
      if (t.on) {
        t.add(F["fixed.capabilities"], cap, p, 2);
        t.add(F["fixed.status_code"], status, p + 2, 2);
        t.add(F["fixed.aid"], aid, p + 4, 2);
      }
      ok = parseElements(r, p + 6, length - 6, t);
      line.s(` AID(${(aid & 0x3fff).toString(16)}) :${cap & 0x10 ? " PRIVACY " : ""}: ${STATUS[status] ?? "n/a"}`);
      break;
    }
    case 5:
    case 8: {
      // probe response, beacon
      if (!has(12)) return void line.s(TRUNC);
      const cap = le16(r, p + 10);
      if (t.on) {
        t.add(F["fixed.timestamp"], le32(r, p) + le32(r, p + 4) * 4294967296, p, 8);
        t.add(F["fixed.beacon"], le16(r, p + 8), p + 8, 2);
        t.add(F["fixed.capabilities"], cap, p + 10, 2);
        t.add(F["fixed.capabilities.ess"], (cap & 1) !== 0, p + 10, 2);
        t.add(F["fixed.capabilities.privacy"], (cap & 0x10) !== 0, p + 10, 2);
      }
      ok = parseElements(r, p + 12, length - 12, t);
      line.s(ssidText()).s(ratesText());
      if (sub === 8) line.s(cap & 1 ? " ESS" : " IBSS");
      line.s(channelText(cap)); // tcpdump 4.99 does not print the mesh ID element
      break;
    }
    case 9: // ATIM: no body
      break;
    case 10: {
      if (!has(2)) return void line.s(TRUNC);
      const reason = le16(r, p);
      if (t.on) t.add(F["fixed.reason_code"], reason, p, 2);
      line.s(`: ${REASONS[reason] ?? "Reserved"}`);
      break;
    }
    case 11: {
      if (!has(6)) return void line.s(TRUNC);
      const alg = le16(r, p), seq = le16(r, p + 2), status = le16(r, p + 4);
      if (t.on) {
        t.add(F["fixed.auth.alg"], alg, p, 2);
        t.add(F["fixed.auth_seq"], seq, p + 2, 2);
        t.add(F["fixed.status_code"], status, p + 4, 2);
      }
      ok = parseElements(r, p + 6, length - 6, t);
      const st = seq % 2 ? STATUS[status] ?? "n/a" : "";
      const a = AUTH_ALGS[alg] ?? "Reserved";
      if (alg === 1 && (seq === 2 || seq === 3)) line.s(` (${a})-${seq.toString(16)} [Challenge Text] ${st}`);
      else line.s(` (${a})-${seq.toString(16)}: ${st}`);
      break;
    }
    case 12: {
      if (!has(2)) return void line.s(TRUNC);
      const reason = le16(r, p);
      if (t.on) t.add(F["fixed.reason_code"], reason, p, 2);
      const text = REASONS[reason] ?? "Reserved";
      line.s(ctx.opts.linkHeader ? `: ${text}` : ` (${sa}): ${text}`);
      break;
    }
    case 13: {
      if (!has(2)) return void line.s(TRUNC);
      const cat = r.byteAt(p), act = r.byteAt(p + 1);
      if (t.on) {
        t.add(F["fixed.category_code"], cat, p, 1);
        t.add(F["fixed.action_code"], act, p + 1, 1);
      }
      line.s(ctx.opts.linkHeader ? ": " : ` (${sa}): `);
      line.s(`${CATEGORIES[cat] ?? `Reserved(${cat})`} `);
      const names = ACTIONS[cat];
      line.s((names && names[act]) || `Act#${act}`);
      break;
    }
  }
  if (!ok) line.s(TRUNC);
}

export const IEEE80211: Protocol = {
  id: "wlan",
  name: "802.11",
  title: "IEEE 802.11 wireless LAN",
  truncName: "802.11",
  fields: F,
  dissect(r, ctx, t) {
    const rf = radioFlags;
    radioFlags = 0;
    const line = ctx.line;
    // an FCS ends the frame: the layer is 4 bytes shorter (what is captured of it too)
    if (rf & 1) {
      if (r.reportedRemaining < 4) return void r.skip(r.remaining + 1);
      if (t.on && r.has(r.reportedRemaining)) t.add(F.fcs, le32(r, r.rep - 4), r.rep - 4, 4);
      r.limit(r.reportedRemaining - 4);
    }
    const h = r.pos;
    if (!r.has(2)) return void r.skip(2);
    const fc = le16(r, h);
    const type = (fc >> 2) & 3, sub = (fc >> 4) & 15;
    const toDs = (fc & 0x100) !== 0, fromDs = (fc & 0x200) !== 0;
    if (t.on) {
      t.add(F.fc, ((fc & 0xff) << 8) | (fc >> 8), h, 2);
      t.add(F["fc.version"], fc & 3, h, 1);
      t.add(F["fc.type"], type, h, 1);
      t.add(F["fc.subtype"], sub, h, 1);
      t.add(F["fc.type_subtype"], (type << 4) | sub, h, 1);
      t.add(F["fc.ds"], (fc >> 8) & 3, h + 1, 1);
      t.add(F["fc.tods"], toDs, h + 1, 1);
      t.add(F["fc.fromds"], fromDs, h + 1, 1);
      t.add(F["fc.frag"], (fc & 0x400) !== 0, h + 1, 1);
      t.add(F["fc.retry"], (fc & 0x800) !== 0, h + 1, 1);
      t.add(F["fc.pwrmgt"], (fc & 0x1000) !== 0, h + 1, 1);
      t.add(F["fc.moredata"], (fc & 0x2000) !== 0, h + 1, 1);
      t.add(F["fc.protected"], (fc & 0x4000) !== 0, h + 1, 1);
      t.add(F["fc.order"], (fc & 0x8000) !== 0, h + 1, 1);
    }
    let hdrlen: number;
    if (type === 0) hdrlen = 24;
    else if (type === 1) {
      hdrlen = CTRL_HDRLEN[sub];
      if (hdrlen === 0) return void line.s(`unknown 802.11 ctrl frame subtype (${sub})`);
    } else if (type === 2) hdrlen = (toDs && fromDs ? 30 : 24) + (sub & 8 ? 2 : 0);
    else return void line.s(`unknown 802.11 frame type (${type})`);
    if (rf & 2) hdrlen = (hdrlen + 3) & ~3;
    if (!r.has(hdrlen)) return void r.skip(hdrlen);
    const mac = (off: number) => macAt(r.data, h + off);
    // the header's fields for the tree
    if (t.on) {
      if (!(type === 1 && sub === 10)) t.add(F.duration, le16(r, h + 2), h + 2, 2);
      else t.add(F.aid, le16(r, h + 2) & 0x3fff, h + 2, 2);
      if (type === 0) {
        t.add(F.da, mac(4), h + 4, 6);
        t.add(F.sa, mac(10), h + 10, 6);
        t.add(F.bssid, mac(16), h + 16, 6);
      } else if (type === 1) {
        t.add(F.ra, mac(4), h + 4, 6);
        if (hdrlen >= 16 && sub !== 7) t.add(sub === 10 ? F.bssid : F.ta, mac(10), h + 10, 6);
      } else {
        t.add(F.ra, mac(4), h + 4, 6);
        t.add(F.ta, mac(10), h + 10, 6);
        t.add(toDs ? F.da : fromDs ? F.sa : F.bssid, mac(16), h + 16, 6);
        if (toDs && fromDs) t.add(F.sa, mac(24), h + 24, 6);
      }
      if (type !== 1) {
        const sc = le16(r, h + 22);
        t.add(F.frag, sc & 15, h + 22, 2);
        t.add(F.seq, sc >> 4, h + 22, 2);
        if (type === 2 && sub & 8) t.add(F["qos.priority"], r.byteAt(h + (toDs && fromDs ? 30 : 24)) & 7, h + (toDs && fromDs ? 30 : 24), 2);
      }
    }
    // addresses for the packet list
    if (type === 0) {
      ctx.src = mac(10);
      ctx.dst = mac(4);
    } else if (type === 2) {
      ctx.src = toDs && fromDs ? mac(24) : fromDs ? mac(16) : mac(10);
      ctx.dst = toDs ? mac(16) : mac(4);
    }
    if (ctx.opts.linkHeader) {
      if (ctx.opts.verbose) {
        if (fc & 0x2000) line.s("More Data ");
        if (fc & 0x400) line.s("More Fragments ");
        if (fc & 0x1000) line.s("Pwr Mgmt ");
        if (fc & 0x800) line.s("Retry ");
        if (fc & 0x8000) line.s("Strictly Ordered ");
        if (fc & 0x4000) line.s("Protected ");
        if (!(type === 1 && sub === 10)) line.s(`${le16(r, h + 2)}us `);
      }
      if (type === 0) line.s(`BSSID:${mac(16)} DA:${mac(4)} SA:${mac(10)} `);
      else if (type === 1) {
        if (sub === 8) line.s(` RA:${mac(4)} TA:${mac(10)} CTL(${le16(r, h + 16).toString(16)}) SEQ(${le16(r, h + 18)}) `);
        else if (sub === 9 || sub === 11) line.s(`RA:${mac(4)} TA:${mac(10)} `);
        else if (sub === 10) line.s(`BSSID:${mac(4)} TA:${mac(10)} `);
        else if (sub === 12 || sub === 13) line.s(`RA:${mac(4)} `);
        else if (sub >= 14) line.s(`RA:${mac(4)} BSSID:${mac(10)} `);
      } else {
        if (sub & 0x0b) {
          line.s("CF ");
          if (sub & 1) line.s(sub & 2 ? "Ack/Poll" : "Ack");
          else if (sub & 2) line.s("Poll");
          if (sub & 8) line.s("+QoS");
          line.s(" ");
        }
        if (!toDs && !fromDs) line.s(`DA:${mac(4)} SA:${mac(10)} BSSID:${mac(16)} `);
        else if (!toDs) line.s(`DA:${mac(4)} BSSID:${mac(10)} SA:${mac(16)} `);
        else if (!fromDs) line.s(`BSSID:${mac(4)} SA:${mac(10)} DA:${mac(16)} `);
        else line.s(`RA:${mac(4)} TA:${mac(10)} DA:${mac(16)} SA:${mac(24)} `);
      }
    }
    const p = h + hdrlen;
    const length = r.reportedRemaining - hdrlen;
    if (type === 0) {
      mgmtBody(r, ctx, t, fc, h, p, length);
      r.skip(r.remaining);
      return;
    }
    if (type === 1) {
      line.s(CTRL_NAMES[sub]);
      const e = ctx.opts.linkHeader;
      if (sub === 8 && !e) line.s(` RA:${mac(4)} TA:${mac(10)} CTL(${le16(r, h + 16).toString(16)}) SEQ(${le16(r, h + 18)}) `);
      else if (sub === 9 && !e) line.s(` RA:${mac(4)} `);
      else if (sub === 10) line.s(` AID(${le16(r, h + 2).toString(16)})`);
      else if (sub === 11 && !e) line.s(` TA:${mac(10)} `);
      else if (sub >= 12 && !e) line.s(` RA:${mac(4)} `);
      r.skip(r.remaining);
      return;
    }
    // data: a null-function frame has no body
    r.skip(hdrlen);
    if (sub & 4) return;
    if (fc & 0x4000) {
      line.s("Data");
      const w = wepText(r, p, t);
      line.s(w ?? TRUNC);
      r.skip(r.remaining);
      return;
    }
    return ctx.next("llc", 0);
  },
};

bind("linktype", 105, IEEE80211);
bind("wlan", 0, IEEE80211);
