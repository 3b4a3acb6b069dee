import { describe, expect, it } from "vitest";
import { addressInList, compareRanges, formatRange, isLoopback, parseAddress, parseRange, type IpRange } from "./ip.js";

function normalized(text: string): string | null {
  const range = parseRange(text);
  return range === null ? null : formatRange(range);
}

describe("IP addresses and ranges as WHM token whitelists treat them", () => {
  it("parses IPv4 addresses and refuses malformed ones", () => {
    expect(parseAddress("192.0.2.1")).toEqual({ version: 4, value: 0xc0000201n });
    expect(parseAddress("0.0.0.0")).toEqual({ version: 4, value: 0n });
    expect(parseAddress("255.255.255.255")).toEqual({ version: 4, value: 0xffffffffn });
    for (const bad of ["256.0.0.1", "1.2.3", "1.2.3.4.5", "01.2.3.4", "1.2.3.-4", "a.b.c.d", "", " 1.2.3.4"]) {
      expect(parseAddress(bad), bad).toBeNull();
    }
  });

  it("parses IPv6 addresses, compressed or not, and refuses malformed ones", () => {
    expect(parseAddress("::1")).toEqual({ version: 6, value: 1n });
    expect(parseAddress("::")).toEqual({ version: 6, value: 0n });
    expect(parseAddress("fc00:abcd::f")).toEqual({ version: 6, value: (0xfc00n << 112n) | (0xabcdn << 96n) | 0xfn });
    expect(parseAddress("FC00:ABCD:0:0:0:0:0:F")).toEqual(parseAddress("fc00:abcd::f"));
    expect(parseAddress("2001:db8::192.0.2.1")).toEqual({ version: 6, value: (0x2001n << 112n) | (0xdb8n << 96n) | 0xc0000201n });
    for (const bad of ["1::2::3", "1:2:3:4:5:6:7:8:9", "1:2:3:4:5:6:7", "12345::1", "g::1", ":::", "1:2:3:4:5:6:7:8::", "::1.2.3.256"]) {
      expect(parseAddress(bad), bad).toBeNull();
    }
  });

  it("treats an IPv4-mapped IPv6 client as the IPv4 address it carries", () => {
    expect(parseAddress("::ffff:192.0.2.1")).toEqual({ version: 4, value: 0xc0000201n });
    expect(parseAddress("::ffff:c000:201")).toEqual({ version: 4, value: 0xc0000201n });
    expect(addressInList(["192.0.2.1"], "::ffff:192.0.2.1")).toBe(true);
    expect(addressInList(["192.0.2.0/24"], "::ffff:192.0.2.77")).toBe(true);
    expect(addressInList(["192.0.2.0/24"], "::ffff:192.0.3.1")).toBe(false);
  });

  it("parses CIDR ranges and refuses one whose address is not the network's first", () => {
    expect(parseRange("192.0.2.8/29")).toEqual({ version: 4, network: 0xc0000208n, prefix: 29 });
    expect(parseRange("0.0.0.0/0")).toEqual({ version: 4, network: 0n, prefix: 0 });
    expect(parseRange("192.0.2.9/29")).toBeNull();
    expect(parseRange("10.0.0.1/8")).toBeNull();
    expect(parseRange("2620:0:28a4::1/48")).toBeNull();
    expect(parseRange("192.0.2.0/33")).toBeNull();
    expect(parseRange("::/129")).toBeNull();
    expect(parseRange("192.0.2.0/")).toBeNull();
    expect(parseRange("192.0.2.0/-1")).toBeNull();
    expect(parseRange("192.0.2.0/24/1")).toBeNull();
    expect(parseRange("not-an-ip")).toBeNull();
  });

  it("stores IPv6 fully expanded and drops /32 and /128 for single hosts", () => {
    expect(normalized("fc00:abcd::f")).toBe("fc00:abcd:0000:0000:0000:0000:0000:000f");
    expect(normalized("2620:0:28a4::/48")).toBe("2620:0000:28a4:0000:0000:0000:0000:0000/48");
    expect(normalized("192.0.2.1/32")).toBe("192.0.2.1");
    expect(normalized("::1/128")).toBe("0000:0000:0000:0000:0000:0000:0000:0001");
    expect(normalized("192.0.2.8/29")).toBe("192.0.2.8/29");
    expect(normalized(" 10.1.2.3 ")).toBe("10.1.2.3");
  });

  it("orders IPv4 before IPv6, then by address, then by prefix", () => {
    const ranges = ["fc00::", "10.0.0.0/8", "2620:0:28a4::/48", "10.0.0.0/16", "9.9.9.9"].map((text) => parseRange(text) as IpRange);
    expect(ranges.sort(compareRanges).map(formatRange)).toEqual([
      "9.9.9.9",
      "10.0.0.0/8",
      "10.0.0.0/16",
      "2620:0000:28a4:0000:0000:0000:0000:0000/48",
      "fc00:0000:0000:0000:0000:0000:0000:0000",
    ]);
  });

  it("matches clients against hosts and ranges of the same family only", () => {
    const list = ["192.0.2.8/29", "2620:0000:28a4:0000:0000:0000:0000:0000/48", "fc00:abcd:0000:0000:0000:0000:0000:000f"];
    expect(addressInList(list, "192.0.2.8")).toBe(true);
    expect(addressInList(list, "192.0.2.15")).toBe(true);
    expect(addressInList(list, "192.0.2.16")).toBe(false);
    expect(addressInList(list, "192.0.2.7")).toBe(false);
    expect(addressInList(list, "2620:0:28a4:ffff::1")).toBe(true);
    expect(addressInList(list, "2620:0:28a5::1")).toBe(false);
    expect(addressInList(list, "fc00:abcd::f")).toBe(true);
    expect(addressInList(list, "fc00:abcd::e")).toBe(false);
    // An IPv4 address never matches an IPv6 range that happens to hold the same bits, nor the reverse.
    expect(addressInList(["0000:0000:0000:0000:0000:0000:0000:0000/96"], "192.0.2.1")).toBe(false);
    expect(addressInList(["0.0.0.0/0"], "::2")).toBe(false);
    expect(addressInList(list, "garbage")).toBe(false);
    expect(addressInList([], "192.0.2.8")).toBe(false);
  });

  it("recognises loopback clients in both families", () => {
    expect(isLoopback("127.0.0.1")).toBe(true);
    expect(isLoopback("127.255.0.9")).toBe(true);
    expect(isLoopback("::1")).toBe(true);
    expect(isLoopback("::ffff:127.0.0.1")).toBe(true);
    expect(isLoopback("128.0.0.1")).toBe(false);
    expect(isLoopback("10.0.0.1")).toBe(false);
    expect(isLoopback("::2")).toBe(false);
    expect(isLoopback("localhost")).toBe(false);
  });
});
