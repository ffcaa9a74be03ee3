#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""
Capture the netlink messages the kernel sends, as seeds for ct_fuzz and
nft_fuzz (tests/fuzz/corpus/).  Run as root from the top of the tree; it
works in a network namespace of its own (nflvs-fuzz-capture-PID) and
removes it at the end.  The seeds are committed: run it again only to
refresh them.

  ct_fuzz:  conntrack events (new, update, destroy) and a dump of entries
            with marks, TCP, UDP and SCTP, IPv4 and IPv6;
  nft_fuzz: GETOBJ (counters rsN_in/rsN_out) and GETSETELEM dumps of the
            DR flow maps and the NAT mark maps, made by nft(8) with the
            types ruleset.c gives them.
"""
import os
import socket
import struct
import subprocess
import sys

NETLINK_NETFILTER = 12
NLM_F_REQUEST, NLM_F_ACK, NLM_F_DUMP = 1, 4, 0x300
NFNL_SUBSYS_CTNETLINK, NFNL_SUBSYS_NFTABLES = 1, 10
IPCTNL_MSG_CT_GET = 1
NFT_MSG_GETSETELEM, NFT_MSG_GETOBJ = 13, 19
NFPROTO_INET = 1
NFT_OBJECT_COUNTER = 1

ns = "nflvs-fuzz-capture-%d" % os.getpid()
out = "tests/fuzz/corpus"


def sh(cmd, stdin=None):
    subprocess.run(["sh", "-c", cmd], check=True, input=stdin, text=True)


def attr(t, payload):
    n = 4 + len(payload)
    return struct.pack("=HH", n, t) + payload + b"\0" * ((4 - n % 4) % 4)


def request(sock, mtype, family, attrs=b"", flags=NLM_F_REQUEST | NLM_F_DUMP):
    body = struct.pack("=BBH", family, 0, 0) + attrs
    sock.send(struct.pack("=IHHII", 16 + len(body), mtype, flags, 1, 0) + body)


def read_dump(sock):
    """Every datagram of a dump, up to and with NLMSG_DONE or an error."""
    got = b""
    while True:
        d = sock.recv(1 << 16)
        got += d
        off = 0
        while off + 16 <= len(d):
            ln, t = struct.unpack_from("=IH", d, off)
            if t in (2, 3):          # NLMSG_ERROR, NLMSG_DONE
                return got
            off += (ln + 3) & ~3


def save(target, name, data, prefix=b""):
    os.makedirs(os.path.join(out, target), exist_ok=True)
    with open(os.path.join(out, target, name), "wb") as f:
        f.write(prefix + data)


def conntrack():
    ev = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, NETLINK_NETFILTER)
    ev.bind((0, 1 | 2 | 4))          # NEW, UPDATE, DESTROY groups
    cmds = [
        "conntrack -I -p tcp -s 10.0.0.5 -d 10.0.1.100 --sport 40000 --dport 80 "
        "--state ESTABLISHED -t 120 -m 0x10000",
        "conntrack -I -p udp -s 10.0.0.6 -d 10.0.1.100 --sport 5353 --dport 53 -t 30 -m 0x20000",
        "conntrack -I -p tcp -s 2001:db8::5 -d 2001:db8::1 --sport 40001 --dport 443 "
        "--state SYN_RECV -t 60 -m 0x30000",
        "conntrack -I -p sctp -s 10.0.0.7 -d 10.0.1.100 --sport 9000 --dport 9000 "
        "--state ESTABLISHED -t 100 -m 0x40000 --orig-vtag 1 --reply-vtag 2",
        "conntrack -U -p tcp -s 10.0.0.5 -d 10.0.1.100 --sport 40000 --dport 80 --state FIN_WAIT",
    ]
    for c in cmds:
        sh(c + " >/dev/null 2>&1 || true")
    ev.settimeout(1)
    events = []
    try:
        while True:
            events.append(ev.recv(1 << 16))
    except socket.timeout:
        pass
    dump = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, NETLINK_NETFILTER)
    request(dump, NFNL_SUBSYS_CTNETLINK << 8 | IPCTNL_MSG_CT_GET, socket.AF_UNSPEC)
    save("ct_fuzz", "dump", read_dump(dump), b"\x08\x07")
    sh("conntrack -D -p udp -s 10.0.0.6 >/dev/null 2>&1 || true")
    try:
        while True:
            events.append(ev.recv(1 << 16))
    except socket.timeout:
        pass
    for i, e in enumerate(events):
        save("ct_fuzz", "event%d" % i, e, b"\x08\x07")
    save("ct_fuzz", "events", b"".join(events), b"\x08\x07")


NFT = """
table inet nflvs {
  counter rs1_in { packets 10 bytes 6400 }
  counter rs1_out { packets 9 bytes 5000 }
  counter rs2_in { }
  map dr_tcp4 { type ipv4_addr . inet_service . ipv4_addr . inet_service : mark; flags timeout;
    elements = { 10.0.0.5 . 40000 . 10.0.1.100 . 80 timeout 300s : 0x00010000 } }
  map dr_tcp6 { type ipv6_addr . inet_service . ipv6_addr . inet_service : mark; flags timeout;
    elements = { 2001:db8::5 . 40001 . 2001:db8::1 . 443 timeout 60s : 0x00020000 } }
  map nat4 { type mark : ipv4_addr; elements = { 0x00010000 : 10.0.2.11, 0x00020000 : 10.0.2.12 } }
  map nat6 { type mark : ipv6_addr; elements = { 0x00030000 : 2001:db8::11 } }
}
"""


def nftables():
    sh("nft -f -", NFT)
    s = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, NETLINK_NETFILTER)
    request(s, NFNL_SUBSYS_NFTABLES << 8 | NFT_MSG_GETOBJ, NFPROTO_INET,
            attr(1, b"nflvs\0") + attr(3, struct.pack(">I", NFT_OBJECT_COUNTER)),
            NLM_F_REQUEST | NLM_F_DUMP | NLM_F_ACK)
    save("nft_fuzz", "counters", read_dump(s), b"\x00\x00")
    # the first byte: which reader (0 counters, 1 flows v4, 2 flows v6,
    # 3 marks v4, 4 marks v6), the second: which map
    for name, kind in (("dr_tcp4", 1), ("dr_tcp6", 2), ("nat4", 3), ("nat6", 4)):
        request(s, NFNL_SUBSYS_NFTABLES << 8 | NFT_MSG_GETSETELEM, NFPROTO_INET,
                attr(1, b"nflvs\0") + attr(2, name.encode() + b"\0"),
                NLM_F_REQUEST | NLM_F_DUMP | NLM_F_ACK)
        save("nft_fuzz", name, read_dump(s), bytes([kind, 0]))


def main():
    if os.geteuid():
        sys.exit("capture.py: run as root")
    if sys.argv[1:] == ["--in-namespace"]:
        conntrack()
        nftables()
        return
    subprocess.run(["ip", "netns", "add", ns], check=True)
    try:
        subprocess.run(["ip", "netns", "exec", ns, sys.executable,
                        sys.argv[0], "--in-namespace"], check=True)
    finally:
        subprocess.run(["ip", "netns", "del", ns])


if __name__ == "__main__":
    main()
