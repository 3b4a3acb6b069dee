/**
 * IP addresses and CIDR ranges as WHM's token whitelists treat them (Net::IP): IPv4 and IPv6,
 * single hosts without `/32` or `/128`, IPv6 stored fully expanded, and an IPv4-mapped IPv6
 * client (`::ffff:192.0.2.1`) matching IPv4 entries.
 */
export interface IpRange {
  readonly version: 4 | 6;
  readonly network: bigint;
  readonly prefix: number;
}

const IPV4 = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;

function parseIpv4(text: string): bigint | null {
  if (!IPV4.test(text)) return null;
  return text.split(".").reduce((value, octet) => (value << 8n) | BigInt(Number(octet)), 0n);
}

function parseIpv6(text: string): bigint | null {
  if (!/^[0-9a-fA-F:.]+$/.test(text) || text.length > 45) return null;
  let head = text;
  let embedded: bigint | null = null;
  const lastColon = text.lastIndexOf(":");
  if (text.includes(".")) {
    embedded = parseIpv4(text.slice(lastColon + 1));
    if (embedded === null) return null;
    head = `${text.slice(0, lastColon + 1)}0:0`;
  }
  const halves = head.split("::");
  if (halves.length > 2) return null;
  const groupsOf = (part: string): string[] => (part === "" ? [] : part.split(":"));
  const left = groupsOf(halves[0]!);
  const right = halves.length === 2 ? groupsOf(halves[1]!) : [];
  const missing = 8 - left.length - right.length;
  if ((halves.length === 2 && missing < 1) || (halves.length === 1 && missing !== 0)) return null;
  const groups = [...left, ...Array<string>(halves.length === 2 ? missing : 0).fill("0"), ...right];
  let value = 0n;
  for (const group of groups) {
    if (!/^[0-9a-fA-F]{1,4}$/.test(group)) return null;
    value = (value << 16n) | BigInt(Number.parseInt(group, 16));
  }
  if (embedded !== null) value = (value & ~0xffffffffn) | embedded;
  return value;
}

const MAPPED_PREFIX = 0xffffn << 32n;

export interface Address {
  readonly version: 4 | 6;
  readonly value: bigint;
}

/**
 * `parse`, remembering up to `max` answers: addresses and whitelist entries repeat on every
 * request. The memory is dropped whole when full, so it stays bounded whatever texts arrive.
 */
function remembered<T>(parse: (text: string) => T, max: number): (text: string) => T {
  const answers = new Map<string, T>();
  return (text) => {
    if (answers.has(text)) return answers.get(text) as T;
    const answer = parse(text);
    if (answers.size >= max) answers.clear();
    answers.set(text, answer);
    return answer;
  };
}

// No address is longer (IPv6 with an embedded IPv4); longer texts would only bloat the memory.
const MAX_ADDRESS_LENGTH = 45;
const parseAddressRemembered = remembered((text) => parseAddressUncached(text), 10_000);

/** Parses a client address; an IPv4-mapped IPv6 address becomes the IPv4 address it carries. */
export function parseAddress(text: string): Address | null {
  return text.length > MAX_ADDRESS_LENGTH ? null : parseAddressRemembered(text);
}

function parseAddressUncached(text: string): Address | null {
  const v4 = parseIpv4(text);
  if (v4 !== null) return { version: 4, value: v4 };
  const v6 = parseIpv6(text);
  if (v6 === null) return null;
  if (v6 >> 32n === MAPPED_PREFIX >> 32n) return { version: 4, value: v6 & 0xffffffffn };
  return { version: 6, value: v6 };
}

/** Parses `address` or `address/prefix`; the address must be the network's first address. */
export function parseRange(text: string): IpRange | null {
  const [addressText, prefixText, extra] = text.trim().split("/");
  if (addressText === undefined || extra !== undefined) return null;
  const v4 = parseIpv4(addressText);
  const v6 = v4 === null ? parseIpv6(addressText) : null;
  if (v4 === null && v6 === null) return null;
  const version = v4 !== null ? 4 : 6;
  const bits = version === 4 ? 32 : 128;
  if (prefixText !== undefined && !/^\d{1,3}$/.test(prefixText)) return null;
  const prefix = prefixText === undefined ? bits : Number(prefixText);
  if (prefix > bits) return null;
  const network = (v4 ?? v6)!;
  const hostBits = BigInt(bits - prefix);
  if ((network & ((1n << hostBits) - 1n)) !== 0n) return null;
  // An IPv4-mapped entry (::ffff:192.0.2.1) is the IPv4 address it carries, as clients are.
  if (version === 6 && network >> 32n === MAPPED_PREFIX >> 32n && prefix >= 96) {
    return { version: 4, network: network & 0xffffffffn, prefix: prefix - 96 };
  }
  return { version, network, prefix };
}

export function formatRange(range: IpRange): string {
  const bits = range.version === 4 ? 32 : 128;
  const address = range.version === 4 ? formatIpv4(range.network) : formatIpv6Expanded(range.network);
  return range.prefix === bits ? address : `${address}/${range.prefix}`;
}

function formatIpv4(value: bigint): string {
  return [24n, 16n, 8n, 0n].map((shift) => ((value >> shift) & 0xffn).toString()).join(".");
}

function formatIpv6Expanded(value: bigint): string {
  const groups: string[] = [];
  for (let shift = 112n; shift >= 0n; shift -= 16n) groups.push(((value >> shift) & 0xffffn).toString(16).padStart(4, "0"));
  return groups.join(":");
}

export function compareRanges(a: IpRange, b: IpRange): number {
  if (a.version !== b.version) return a.version - b.version;
  if (a.network !== b.network) return a.network < b.network ? -1 : 1;
  return a.prefix - b.prefix;
}

export function rangeContains(range: IpRange, address: Address): boolean {
  if (range.version !== address.version) return false;
  const hostBits = BigInt((range.version === 4 ? 32 : 128) - range.prefix);
  return address.value >> hostBits === range.network >> hostBits;
}

// Whitelists are checked on every request with their credential; parse each stored entry once.
const cachedRange = remembered(parseRange, 10_000);

/** True when the client address lies in one of the normalised entries; an unparsable address never does. */
export function addressInList(list: readonly string[], clientIp: string): boolean {
  const address = parseAddress(clientIp);
  if (address === null) return false;
  return list.some((entry) => {
    const range = cachedRange(entry);
    return range !== null && rangeContains(range, address);
  });
}

export function isLoopback(clientIp: string): boolean {
  const address = parseAddress(clientIp);
  if (address === null) return false;
  return address.version === 4 ? address.value >> 24n === 127n : address.value === 1n;
}

/**
 * The one form of a client address that brute-force counters and blocks are keyed by, so every
 * spelling of an address counts as that address: IPv4 (an IPv4-mapped IPv6 address included) as
 * dotted decimal, IPv6 as its /64 network, fully expanded. A /64 is what one host or subscriber
 * gets, and what an attacker holding one can draw fresh addresses from without limit
 * (cPHulk-class tools count IPv6 per /64 for the same reason). An unparsable text (no socket
 * gives one) is kept as it is, lower-cased.
 */
export function counterAddress(text: string): string {
  return counterAddressRemembered(text);
}

// Asked on every request for the client's address; the same few addresses come again and again.
const counterAddressRemembered = remembered((text: string) => counterAddressUncached(text), 10_000);

function counterAddressUncached(text: string): string {
  const address = parseAddress(text);
  if (address === null) return text.slice(0, MAX_ADDRESS_LENGTH).toLowerCase();
  if (address.version === 4) return formatIpv4(address.value);
  return formatRange({ version: 6, network: (address.value >> 64n) << 64n, prefix: 64 });
}
