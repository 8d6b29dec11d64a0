/**
 * The colouring rules' pieces: the 256-colour mapping (xterm's cube and grey ramp), the order of the user's
 * rules before Wireshark's defaults, and the rules left out with the reason.
 */
import { describe, expect, it } from "vitest";
import "../../src/dissectors/index.js";
import { ansi256, compileRules, DEFAULT_RULES, parseColour } from "../../src/tui/colouring.js";

describe("TUI colouring rules (issue 17)", () => {
  it("maps colours to xterm's 256: cube corners, grey ramp", () => {
    expect(ansi256(255, 0, 0)).toBe(196);
    expect(ansi256(0, 0, 0)).toBe(16);
    expect(ansi256(255, 255, 255)).toBe(231);
    expect(ansi256(0, 95, 135)).toBe(24);
    expect(ansi256(128, 128, 128)).toBe(244); // grey 128 is on the ramp (232 + 12)
    expect(parseColour(17)).toBe(17);
    expect(parseColour("red")).toMatch(/is not "#rrggbb" or 0-255/);
  });

  it("keeps Wireshark's 20 defaults in order, leaving out those our filter engine cannot compile", () => {
    expect(DEFAULT_RULES.length).toBe(20);
    const c = compileRules();
    expect(c.rules.map((r) => r.name)).toEqual(["HSRP State Change", "Spanning Tree Topology  Change", "OSPF State Change", "ICMP errors", "ARP", "ICMP", "TCP RST", "HTTP", "TCP SYN/FIN", "TCP", "UDP"]);
    expect(c.skipped.map((s) => s.name)).toEqual(["Bad TCP", "SCTP ABORT", "TTL low or unexpected", "Checksum Errors", "SMB", "DCERPC", "Routing", "Broadcast", "System Event"]);
    expect(c.skipped[0].reason).toContain("tcp.analysis.flags");
  });

  it("puts the user's rules first and skips a bad one with its reason", () => {
    const c = compileRules([{ name: "Mine", filter: "udp.port == 53", fg: "#ffffff", bg: 24 }, { name: "Bad colour", filter: "udp", fg: "blue", bg: 0 }, { name: "No filter" }]);
    expect(c.rules[0]).toMatchObject({ name: "Mine", fg: 231, bg: 24, user: true });
    expect(c.rules[1].user).toBe(false);
    expect(c.skipped.filter((s) => s.user)).toEqual([
      { name: "Bad colour", reason: 'colour "blue" is not "#rrggbb" or 0-255', user: true },
      { name: "No filter", reason: "no filter", user: true },
    ]);
  });
});
