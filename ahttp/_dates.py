"""HTTP dates (IMF-fixdate) to and from Unix timestamps.

Written without time.gmtime, whose epoch differs between boards. Loaded only
by static files and cookies with an expiry. No I/O here.
"""

# Three letters each; strings, not tuples: a tuple of short strings costs a
# RAM object and an interned name per entry even when the code is in flash.
_MONTHS = "JanFebMarAprMayJunJulAugSepOctNovDec"


def _civil(days):
    # Days since 1970-01-01 to (year, month, day): Howard Hinnant's algorithm.
    days += 719468
    era = days // 146097
    doe = days - era * 146097
    yoe = (doe - doe // 1460 + doe // 36524 - doe // 146096) // 365
    y = yoe + era * 400
    doy = doe - (365 * yoe + yoe // 4 - yoe // 100)
    mp = (5 * doy + 2) // 153
    d = doy - (153 * mp + 2) // 5 + 1
    m = mp + 3 if mp < 10 else mp - 9
    return y + (m <= 2), m, d


def _days(y, m, d):
    y -= m <= 2
    era = y // 400
    yoe = y - era * 400
    doy = (153 * (m + (-3 if m > 2 else 9)) + 2) // 5 + d - 1
    doe = yoe * 365 + yoe // 4 - yoe // 100 + doy
    return era * 146097 + doe - 719468


def _day(names, i):
    return names[3 * i:3 * i + 3]


def http_date(ts):
    """IMF-fixdate for a Unix timestamp, without time.gmtime (boards differ
    in their epoch)."""
    ts = int(ts)
    days = ts // 86400
    secs = ts - days * 86400
    y, m, d = _civil(days)
    return "%s, %02d %s %04d %02d:%02d:%02d GMT" % (
        _day("MonTueWedThuFriSatSun", (days + 3) % 7), d, _day(_MONTHS, m - 1), y,
        secs // 3600, secs // 60 % 60, secs % 60)


def parse_http_date(s):
    """Unix timestamp of an IMF-fixdate, or None when it is not one."""
    try:
        p = s.split(" ")
        if len(p) != 6 or p[5] != "GMT":
            return None
        t = p[4].split(":")
        m = _MONTHS.find(p[2])
        if len(p[2]) != 3 or m % 3:
            return None
        return (_days(int(p[3]), m // 3 + 1, int(p[1])) * 86400
                + int(t[0]) * 3600 + int(t[1]) * 60 + int(t[2]))
    except (ValueError, IndexError):
        return None


_end = 1    # imported completely (see _compat.load)
