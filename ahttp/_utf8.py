"""Strict UTF-8 decoding, the same on both runtimes. No I/O here.

CPython's decoder refuses everything invalid; MicroPython's checks the
structure of sequences but lets overlong forms, surrogates and code points
above U+10FFFF through. `utf8()` refuses those there too, looking only at
the few lead bytes that can start them, and only when the text is not ASCII.
"""


# (no helper function: each name is interned on a board)
try:
    b"\xed\xa0\x80".decode()
    STRICT = False
except UnicodeError:
    STRICT = True
# lead byte -> (lowest, highest) allowed second byte; None: never valid.
# Triples (lead byte, lowest and highest byte allowed after it); 0, 0: the
# lead is never valid. Bytes, not a tuple of tuples: a bytes constant stays
# in flash when the code is frozen or in ROMFS, tuples are built in RAM.
LEADS = (b"\xc0\0\0\xc1\0\0\xe0\xa0\xbf\xed\x80\x9f\xf0\x90\xbf\xf4\x80\x8f"
         b"\xf5\0\0\xf6\0\0\xf7\0\0\xf8\0\0\xf9\0\0\xfa\0\0\xfb\0\0"
         b"\xfc\0\0\xfd\0\0\xfe\0\0\xff\0\0")


def _lax_ok(data):
    if not hasattr(data, "find"):   # (MicroPython v1.11's bytearray has none)
        data = bytes(data)
    n = len(data)
    for j in range(0, len(LEADS), 3):
        pat = LEADS[j:j + 1]
        lo = LEADS[j + 1]
        i = data.find(pat)
        while i >= 0:
            if not lo:
                return False
            if i + 1 < n:
                b = data[i + 1]
                if b < lo or b > LEADS[j + 2]:
                    return False
            i = data.find(pat, i + 1)
    return True


def utf8(data):
    """The text of UTF-8 bytes; UnicodeError for invalid UTF-8."""
    s = str(data, "utf-8")
    if not STRICT and len(s) != len(data) and not _lax_ok(data):
        raise UnicodeError("invalid UTF-8")
    return s

