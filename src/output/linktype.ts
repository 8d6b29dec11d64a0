/** Link type names as tcpdump prints them: "EN10MB (Ethernet)". */
import { native } from "../capture/native.js";

export function linktypeLabel(dlt: number): string {
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
