// Compiled by test/api/fields-generated.test.ts with tsc --strict, "tsniff" resolved to dist/index.d.ts as a
// user's project resolves it: Packet.get() takes generated field names with their value types.
import type { FieldName, LayerName, Packet } from "tsniff";

export function check(p: Packet): void {
  const name: string | undefined = p.get("dns.qry.name");
  const ttl: number | undefined = p.get("ip.ttl");
  const syn: boolean | undefined = p.get("tcp.flags.syn");
  const all: string[] = p.getAll("ip.addr");
  const first: LayerName | undefined = p.layers[0];
  const payload: Uint8Array | undefined = p.layer("tcp")?.payload;
  const bytes: Uint8Array = p.payload;
  const dynamic = p.getDynamic("anything.at.all");
  const f: FieldName = "http.request.method";
  void [name, ttl, syn, all, first, payload, bytes, dynamic, f];

  // @ts-expect-error a misspelled field name does not compile
  p.get("dns.qry.nmae");
  // @ts-expect-error ip.ttl is a number
  const wrong: string | undefined = p.get("ip.ttl");
  // @ts-expect-error not a protocol id
  p.layer("tcpp");
  // @ts-expect-error layers are protocol ids
  const notLayer: "tcpp" = p.layers[0];
  void [wrong, notLayer];
}
