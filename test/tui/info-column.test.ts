/** The list's Info column drops the addresses of tcpdump's line (the list has its own address columns). */
import { describe, expect, it } from "vitest";
import { infoColumn } from "../../src/tui/model.js";

describe("Info column from the summary line", () => {
  it("cuts at the ': ' after the destination, also when an IPv6 address holds '::' before it", () => {
    expect(infoColumn("IP6 :: > ff02::1:ff77:1: ICMP6, neighbor solicitation, who has fe80::ff:fe77:1, length 32", "IP6")).toBe("ICMP6, neighbor solicitation, who has fe80::ff:fe77:1, length 32");
    expect(infoColumn("IP 10.0.0.1.53 > 10.0.0.2.4000: 4660 A? x. (17)", "IP")).toBe("4660 A? x. (17)");
    expect(infoColumn("IP6 fe80::1.547 > ff02::1:2.546: dhcp6 solicit", "IP6")).toBe("dhcp6 solicit");
    expect(infoColumn("IP 10.0.0.1.80 > 10.0.0.2.5000: Flags [P.], seq 1:10, ack 1, win 5, length 9: HTTP: GET / HTTP/1.1", "IP")).toBe("HTTP: GET / HTTP/1.1");
    expect(infoColumn("ARP, Request who-has 10.0.0.2 tell 10.0.0.1, length 28", "")).toBe("ARP, Request who-has 10.0.0.2 tell 10.0.0.1, length 28");
  });
});
