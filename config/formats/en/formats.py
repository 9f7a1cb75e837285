"""English dates that nobody misreads: "17 Dec 2026", "17 Dec 2026, 14:05".

Django's English formats are American ("12/17/2026", "Dec. 17, 2026, 2:05 p.m."): 03/04/2026
reads as 3 April to our English-speaking staff and customers in Europe and Asia. The day
before a month name is unambiguous everywhere, and a 24-hour clock matches the Chinese
interface. Numbers keep Django's English formats (this module does not define them).

Input: ISO first (the date fields render and expect yyyy-mm-dd, and <input type="date">
sends it), then the way dates are written here. The American "%m/%d/%Y" is no longer
accepted: "03/04/2026" is refused with a message rather than read as 4 March.
CSV exports write ISO dates themselves (core.csv_export) and are not affected.
"""

# https://docs.djangoproject.com/en/stable/ref/templates/builtins/#date
DATE_FORMAT = "j M Y"  # 17 Dec 2026
TIME_FORMAT = "H:i"  # 14:05
DATETIME_FORMAT = "j M Y, H:i"  # 17 Dec 2026, 14:05
YEAR_MONTH_FORMAT = "F Y"  # December 2026
MONTH_DAY_FORMAT = "j F"  # 17 December
SHORT_DATE_FORMAT = "j M Y"  # 17 Dec 2026
SHORT_DATETIME_FORMAT = "j M Y, H:i"  # 17 Dec 2026, 14:05

# https://docs.python.org/library/datetime.html#strftime-behavior
DATE_INPUT_FORMATS = [
    "%Y-%m-%d",  # 2026-12-17 (first: what date fields render)
    "%d %b %Y",  # 17 Dec 2026
    "%d %B %Y",  # 17 December 2026
]
TIME_INPUT_FORMATS = [
    "%H:%M:%S",  # 14:05:59
    "%H:%M:%S.%f",  # 14:05:59.000200
    "%H:%M",  # 14:05
]
DATETIME_INPUT_FORMATS = [
    "%Y-%m-%d %H:%M:%S",  # 2026-12-17 14:05:59
    "%Y-%m-%d %H:%M:%S.%f",  # 2026-12-17 14:05:59.000200
    "%Y-%m-%d %H:%M",  # 2026-12-17 14:05
    "%d %b %Y, %H:%M",  # 17 Dec 2026, 14:05
    "%d %b %Y %H:%M",  # 17 Dec 2026 14:05
]
