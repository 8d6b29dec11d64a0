/** Link type names as tcpdump prints them: "EN10MB (Ethernet)". */
import { native } from "../capture/native.js";
import { dltName } from "../capture/dlt-names.js";

export function linktypeLabel(dlt: number): string {
  // libpcap's names, known without loading the addon (`-r FILE` without a filter never needs it)
  const known = dltName(dlt);
  if (known) return known[1] ? `${known[0]} (${known[1]})` : known[0];
  try {
    const b = native();
    const name = b.datalinkName(dlt);
    const desc = b.datalinkDescription(dlt);
    if (name) return desc ? `${name} (${desc})` : name;
  } catch {
    /* addon missing: fall through */
  }
  return `DLT ${dlt}`;
}
