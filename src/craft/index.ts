/**
 * Building and sending packets (scapy's Ether()/IP()/UDP()/DNS(), sendp, send, sr, sr1, srp, srp1), typed.
 * Depends on capture (sending, capturing replies) and on the library's Packet (reading packets back);
 * nothing below depends on it. See docs/CRAFTING.md.
 */
export { CraftError } from "./addr.js";
export { Layer, Stack, stack, type Crafted, type LayerOf, type KnownLayer, type BuildEnv } from "./stack.js";
export * from "./layers.js";
export { DNS, DNSLayer, encodeDns, type DNSFields, type DnsQuestion, type DnsRR, type DnsTypeName, type DnsClassName } from "./dns.js";
export { send, sendp, sr, sr1, srp, srp1, getmacbyip, ifaceMac, PacketSender, type Sendable, type SendOptions, type SendpOptions, type SrOptions, type SrResult } from "./send.js";
