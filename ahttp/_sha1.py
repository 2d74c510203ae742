"""SHA-1 (FIPS 180-4) in Python, for ports whose hashlib has none (those
built without TLS: the MicroPython v1.11 and v1.20 unix ports). The
WebSocket handshake hashes one short key with it; nothing else uses it.
Loaded only where needed (see _ws.accept_key). No I/O here.

    sha1(data).digest() -> 20 bytes
"""
import struct

_M = 0xFFFFFFFF


def _rotl(x, n):
    return ((x << n) | (x >> (32 - n))) & _M


class sha1:
    def __init__(self, data=b""):
        self._data = bytes(data)

    def update(self, data):
        self._data += bytes(data)

    def digest(self):
        msg = self._data
        n = len(msg)
        # pad: a 1 bit, zeros to 56 mod 64, the bit length (64-bit big-endian)
        msg += b"\x80" + bytes((55 - n) % 64) + struct.pack(">Q", n * 8)
        h = [0x67452301, 0xEFCDAB89, 0x98BADCFE, 0x10325476, 0xC3D2E1F0]
        for off in range(0, len(msg), 64):
            w = list(struct.unpack(">16I", msg[off:off + 64]))
            for t in range(16, 80):
                w.append(_rotl(w[t - 3] ^ w[t - 8] ^ w[t - 14] ^ w[t - 16], 1))
            a, b, c, d, e = h
            for t in range(80):
                if t < 20:
                    f = (b & c) | (~b & d)
                    k = 0x5A827999
                elif t < 40:
                    f = b ^ c ^ d
                    k = 0x6ED9EBA1
                elif t < 60:
                    f = (b & c) | (b & d) | (c & d)
                    k = 0x8F1BBCDC
                else:
                    f = b ^ c ^ d
                    k = 0xCA62C1D6
                a, b, c, d, e = (_rotl(a, 5) + (f & _M) + e + k + w[t]) & _M, a, _rotl(b, 30), c, d
            h = [(x + y) & _M for x, y in zip(h, (a, b, c, d, e))]
        return struct.pack(">5I", *h)


_end = 1    # imported completely (see _compat.load)
