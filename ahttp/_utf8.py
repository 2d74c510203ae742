"""Strict UTF-8 decoding, the same on both runtimes. No I/O here.

CPython's decoder refuses everything invalid; MicroPython's checks the
structure of sequences but lets overlong forms, surrogates and code points
above U+10FFFF through. `utf8()` refuses those there too, looking only at
the few lead bytes that can start them, and only when the text is not ASCII.
"""


def _decode_is_strict():
    try:
        b"\xed\xa0\x80".decode()
    except UnicodeError:
        return True
    return False


STRICT = _decode_is_strict()
# lead byte -> (lowest, highest) allowed second byte; None: never valid.
LEADS = ((0xC0, None), (0xC1, None), (0xE0, (0xA0, 0xBF)), (0xED, (0x80, 0x9F)),
         (0xF0, (0x90, 0xBF)), (0xF4, (0x80, 0x8F)), (0xF5, None), (0xF6, None),
         (0xF7, None), (0xF8, None), (0xF9, None), (0xFA, None), (0xFB, None),
         (0xFC, None), (0xFD, None), (0xFE, None), (0xFF, None))


def _lax_ok(data):
    n = len(data)
    for lead, second in LEADS:
        pat = bytes((lead,))
        i = data.find(pat)
        while i >= 0:
            if second is None:
                return False
            if i + 1 < n:
                b = data[i + 1]
                if b < second[0] or b > second[1]:
                    return False
            i = data.find(pat, i + 1)
    return True


def utf8(data):
    """The text of UTF-8 bytes; UnicodeError for invalid UTF-8."""
    s = str(data, "utf-8")
    if not STRICT and len(s) != len(data) and not _lax_ok(data):
        raise UnicodeError("invalid UTF-8")
    return s
