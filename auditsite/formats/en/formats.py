"""Date formats for English: audit times always show seconds and the zone.

Django's own English formats ("Nov. 23, 2026, 6:32 a.m.") drop both, which
makes an audit trail ambiguous; the admin renders every date/time with these.
"""

DATETIME_FORMAT = "N j, Y, H:i:s T"
SHORT_DATETIME_FORMAT = "Y-m-d H:i:s T"
TIME_FORMAT = "H:i:s"
