/**
 * tsniff as a library: the same engine the CLI uses. The CLI and the TUI are never imported from here.
 */
export type { PacketBatch, SourceInfo } from "./capture/batch.js";
export type { PacketSource, CaptureStats, SourceEnd } from "./capture/source.js";
export { FileSource } from "./capture/file-source.js";
export { LiveSource, type LiveSourceOptions } from "./capture/live-source.js";
export { MultiLiveSource, type MultiLiveOptions } from "./capture/multi-live-source.js";
export type { LiveInterface } from "./capture/batch.js";
export { PcapWriter, type PcapWriterOptions } from "./capture/pcap-writer.js";
export { FileDamage } from "./capture/pcap-format.js";
export { listDevices, defaultDevice } from "./capture/devices.js";
export { compileFilter, FilterError, linktypeToDlt } from "./filter/compile.js";
export { formatProgram } from "./filter/disasm.js";
export { Session, type SessionOptions, type SessionResult, type PacketConsumer } from "./session.js";
export { Dissector, type DissectResult, type Ctx, type FieldDef, type Protocol, type TreeNode } from "./dissectors/index.js";
export { Packet, PacketContext, type IpInfo, type TcpInfo, type PortsInfo, type DnsInfo, type HttpInfo } from "./api/packet.js";
export { BatchLease, type LayerView, type FieldName, type FieldTypes, type LayerName } from "./api/packet.js";
export { sniff, readPcap, type SniffOptions } from "./api/sniff.js";
export { rdpcap } from "./api/sniff.js";
export { openWriter, wrpcap, type WriterOptions, type PacketFileWriter } from "./api/writer.js";
export { PcapngWriter, type PcapngWriterOptions } from "./capture/pcapng-writer.js";
export { capture, type CaptureOptions, type PacketStream, type ApiStats } from "./api/capture.js";
export type { RemoteOptions, HostFailure, SourceReport } from "./remote/open.js";
export type { Plugin, PluginContext, PluginStats, PacketWriter } from "./plugins/context.js";
export * from "./craft/index.js";
export { TcpTracker, tcpStreams, type TcpStreamInfo, type TcpTrackerOptions, type StreamDataCallback, type StreamChunk } from "./api/streams.js";
export { Reassembly, type ReassemblyOptions, type ReassemblyStats, type Pdu, type PduLength } from "./stream/reassembly.js";
export type { ProcInfo } from "./proc/types.js";
export { loadKeyLogFile, addKeyLogText, clearKeyLog } from "./tls/keylog.js";
