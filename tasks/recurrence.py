"""
Recurring tasks: the one validator of a rule, the next occurrence's date, the rule in words
and the form's presets.

A rule is the RRULE part of RFC 5545 (``FREQ=WEEKLY;BYDAY=MO``), stored without DTSTART: the
task's due date is the start. Rules repeat at most daily. ``COUNT`` counts the occurrences
still to come including this one: the next occurrence carries the rule with ``COUNT`` one
lower, and a task whose rule says ``COUNT=1`` has no next occurrence. ``UNTIL`` is a date
(a time in it is ignored): no occurrence falls after it.
"""

from __future__ import annotations

import calendar
import datetime
import re

from dateutil.rrule import rrule, rrulestr
from django.core.exceptions import ValidationError
from django.utils.dateformat import format as date_format

MAX_LENGTH = 500

#: Parts a rule may have. BYHOUR and its finer friends would repeat within a day.
ALLOWED_PARTS = {
    "FREQ",
    "INTERVAL",
    "COUNT",
    "UNTIL",
    "BYDAY",
    "BYMONTHDAY",
    "BYMONTH",
    "BYYEARDAY",
    "BYWEEKNO",
    "BYSETPOS",
    "WKST",
}
FREQUENCIES = {"DAILY", "WEEKLY", "MONTHLY", "YEARLY"}
TOO_FREQUENT = {"HOURLY", "MINUTELY", "SECONDLY"}

WEEKDAYS = ["MO", "TU", "WE", "TH", "FR", "SA", "SU"]
WEEKDAY_NAMES = dict(zip(WEEKDAYS, calendar.day_name, strict=True))
WORKDAYS = {"MO", "TU", "WE", "TH", "FR"}
ORDINALS = {1: "first", 2: "second", 3: "third", 4: "fourth", 5: "fifth", -1: "last"}


class Mode:
    FROM_DUE = "from_due"
    FROM_COMPLETION = "from_completion"
    CHOICES = [
        (FROM_DUE, "From the due date"),
        (FROM_COMPLETION, "From the completion date"),
    ]


def parts(rule: str) -> dict[str, str]:
    """``"FREQ=WEEKLY;BYDAY=MO"`` → ``{"FREQ": "WEEKLY", "BYDAY": "MO"}`` (no validation)."""
    result = {}
    for item in rule.split(";"):
        if not item:
            continue
        name, _, value = item.partition("=")
        result[name.strip().upper()] = value.strip().upper()
    return result


def join(rule_parts: dict[str, str]) -> str:
    return ";".join(f"{name}={value}" for name, value in rule_parts.items())


def normalize(rule: str | None) -> str:
    """The rule as stored: upper case, no spaces, no ``RRULE:`` prefix; blank for none."""
    text = re.sub(r"\s+", "", rule or "").upper()
    if text.startswith("RRULE:"):
        text = text[len("RRULE:") :]
    return text.strip(";")


def build(rule: str, start: datetime.date) -> rrule:
    """The dateutil rule starting on ``start`` (naive, so ``UNTIL`` is read as a date)."""
    rule_parts = parts(rule)
    if "UNTIL" in rule_parts:
        # UNTIL is a date here: the whole of that day counts.
        until = rule_parts["UNTIL"][:8]
        rule_parts["UNTIL"] = until + "T235959"
    dtstart = datetime.datetime.combine(start, datetime.time.min)
    return rrulestr(join(rule_parts), dtstart=dtstart, ignoretz=True)


def validate_rule(rule: str | None) -> None:
    """The one check of a rule: valid RRULE syntax, repeating no more often than daily."""
    text = normalize(rule)
    if not text:
        return
    if len(text) > MAX_LENGTH:
        raise ValidationError(f"A rule has at most {MAX_LENGTH} characters.", code="too_long")
    if "DTSTART" in text or "\n" in (rule or ""):
        raise ValidationError(
            "Give the rule only (like FREQ=WEEKLY;BYDAY=MO): the due date is its start.",
            code="invalid",
        )
    rule_parts = parts(text)
    freq = rule_parts.get("FREQ")
    if freq in TOO_FREQUENT:
        raise ValidationError(
            "A task repeats at most daily: use DAILY, WEEKLY, MONTHLY or YEARLY.",
            code="too_frequent",
        )
    if freq not in FREQUENCIES:
        raise ValidationError(
            "Not a valid repeat rule: it needs FREQ=DAILY, WEEKLY, MONTHLY or YEARLY.",
            code="invalid",
        )
    unknown = sorted(set(rule_parts) - ALLOWED_PARTS)
    if unknown:
        raise ValidationError(
            f"Not a valid repeat rule: {', '.join(unknown)} is not supported "
            "(a task repeats at most daily).",
            code="invalid",
        )
    if "COUNT" in rule_parts and "UNTIL" in rule_parts:
        raise ValidationError("Give COUNT or UNTIL, not both.", code="invalid")
    if "COUNT" in rule_parts and not re.fullmatch(r"[1-9]\d{0,3}", rule_parts["COUNT"]):
        raise ValidationError("COUNT is a whole number from 1 to 9999.", code="invalid")
    if "UNTIL" in rule_parts and not re.fullmatch(r"\d{8}(T\d{6}Z?)?", rule_parts["UNTIL"]):
        raise ValidationError(
            "UNTIL is a date like 20271231 (or 20271231T235959Z).", code="invalid"
        )
    if "INTERVAL" in rule_parts and not re.fullmatch(r"[1-9]\d{0,2}", rule_parts["INTERVAL"]):
        raise ValidationError("INTERVAL is a whole number from 1 to 999.", code="invalid")
    try:
        built = build(text, datetime.date(2000, 1, 1))
        # dateutil is lenient with some parts until it iterates.
        built.after(datetime.datetime.combine(datetime.date(2000, 1, 1), datetime.time.min))
    except (ValueError, TypeError, KeyError, IndexError, OverflowError) as error:
        raise ValidationError(f"Not a valid repeat rule ({error}).", code="invalid") from None


def next_occurrence(
    rule: str, *, due_date: datetime.date, completed_on: datetime.date | None = None
) -> tuple[datetime.date, str] | None:
    """
    The next occurrence's due date and the rule it carries, or ``None`` when the rule is
    exhausted. ``completed_on`` (the completion date, from_completion mode) starts the rule
    there instead of at ``due_date``.
    """
    rule_parts = parts(normalize(rule))
    carried = dict(rule_parts)
    if "COUNT" in rule_parts:
        remaining = int(rule_parts.pop("COUNT"))
        if remaining <= 1:
            return None
        carried["COUNT"] = str(remaining - 1)
    start = completed_on or due_date
    following = build(join(rule_parts), start).after(
        datetime.datetime.combine(start, datetime.time.min)
    )
    if following is None:
        return None
    return following.date(), join(carried)


# ---------------------------------------------------------------------------
# In words
# ---------------------------------------------------------------------------
def _day_list(names: list[str]) -> str:
    if len(names) <= 1:
        return "".join(names)
    return ", ".join(names[:-1]) + " and " + names[-1]


def _weekday(code: str) -> tuple[int | None, str] | None:
    match = re.fullmatch(r"([+-]?\d{1,2})?(MO|TU|WE|TH|FR|SA|SU)", code)
    if not match:
        return None
    return (int(match[1]) if match[1] else None), WEEKDAY_NAMES[match[2]]


def _ordinal_day(n: int) -> str:
    return "the last day" if n == -1 else f"day {n}"


def _core_words(rule_parts: dict[str, str]) -> str | None:
    """The rule without its end in words, or ``None`` when it is beyond these shapes."""
    freq = rule_parts.get("FREQ")
    interval = int(rule_parts.get("INTERVAL", "1") or 1)
    shape = set(rule_parts) - {"FREQ", "INTERVAL", "COUNT", "UNTIL", "WKST"}
    days = [d for d in rule_parts.get("BYDAY", "").split(",") if d]
    if freq == "DAILY":
        if not shape:
            return "Every day" if interval == 1 else f"Every {interval} days"
        if shape == {"BYDAY"} and interval == 1 and set(days) == WORKDAYS:
            return "Every weekday"
        return None
    if freq == "WEEKLY":
        if not shape:
            return "Every week" if interval == 1 else f"Every {interval} weeks"
        if shape != {"BYDAY"} or not all(d in WEEKDAYS for d in days):
            return None
        if interval == 1 and set(days) == WORKDAYS:
            return "Every weekday"
        ordered = sorted(set(days), key=WEEKDAYS.index)
        names = _day_list([WEEKDAY_NAMES[d] for d in ordered])
        return f"Every {names}" if interval == 1 else f"Every {interval} weeks on {names}"
    if freq == "MONTHLY":
        lead = "Monthly" if interval == 1 else f"Every {interval} months"
        if not shape:
            return lead
        if shape == {"BYMONTHDAY"} and re.fullmatch(
            r"-1|[1-9]|[12]\d|3[01]", rule_parts["BYMONTHDAY"]
        ):
            return f"{lead} on {_ordinal_day(int(rule_parts['BYMONTHDAY']))}"
        if shape == {"BYDAY"} and len(days) == 1:
            parsed = _weekday(days[0])
            if parsed and parsed[0] in ORDINALS:
                return f"{lead} on the {ORDINALS[parsed[0]]} {parsed[1]}"
        if shape == {"BYDAY", "BYSETPOS"} and len(days) == 1 and days[0] in WEEKDAYS:
            position = rule_parts["BYSETPOS"]
            if re.fullmatch(r"-?\d", position) and int(position) in ORDINALS:
                return f"{lead} on the {ORDINALS[int(position)]} {WEEKDAY_NAMES[days[0]]}"
        return None
    if freq == "YEARLY":
        lead = "Every year" if interval == 1 else f"Every {interval} years"
        if not shape:
            return lead
        if shape == {"BYMONTH", "BYMONTHDAY"}:
            month, day = rule_parts["BYMONTH"], rule_parts["BYMONTHDAY"]
            if re.fullmatch(r"1[0-2]|[1-9]", month) and re.fullmatch(r"[1-9]|[12]\d|3[01]", day):
                return f"{lead} on {int(day)} {calendar.month_name[int(month)]}"
        return None
    return None


def describe(rule: str | None) -> str:
    """The rule in words: "Every Monday and Thursday", "Monthly on day 15 until 31 Dec 2027"."""
    text = normalize(rule)
    if not text:
        return ""
    rule_parts = parts(text)
    words = _core_words(rule_parts)
    if words is None:
        frequency = {
            "DAILY": "daily",
            "WEEKLY": "weekly",
            "MONTHLY": "monthly",
            "YEARLY": "yearly",
        }.get(rule_parts.get("FREQ", ""), "")
        words = f"Repeats {frequency} (custom rule {text})" if frequency else f"Repeats ({text})"
        return words
    if "UNTIL" in rule_parts:
        try:
            value = rule_parts["UNTIL"]
            until = datetime.date(int(value[:4]), int(value[4:6]), int(value[6:8]))
            words += f" until {date_format(until, 'j M Y')}"
        except ValueError:
            pass
    elif "COUNT" in rule_parts:
        count = rule_parts["COUNT"]
        words += ", once more" if count == "1" else f", {count} times"
    return words


# ---------------------------------------------------------------------------
# The form's presets
# ---------------------------------------------------------------------------
PRESET_NONE = ""
PRESET_CUSTOM = "custom"
PRESETS = [
    (PRESET_NONE, "Does not repeat"),
    ("daily", "Every day"),
    ("weekdays", "Every weekday"),
    ("weekly", "Every week on the due date's weekday"),
    ("monthly_day", "Monthly on the due date's day"),
    ("monthly_last_weekday", "Monthly on the last <weekday> of the due date"),
    ("yearly", "Every year on the due date"),
    (PRESET_CUSTOM, "Custom rule…"),
]


def preset_rule(preset: str, due_date: datetime.date | None) -> str | None:
    """The rule a preset makes for ``due_date`` (``None`` for custom; "" for no repeat)."""
    if preset == PRESET_NONE:
        return ""
    if preset == "daily":
        return "FREQ=DAILY"
    if preset == "weekdays":
        return "FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR"
    if preset == PRESET_CUSTOM or due_date is None:
        return None
    weekday = WEEKDAYS[due_date.weekday()]
    if preset == "weekly":
        return f"FREQ=WEEKLY;BYDAY={weekday}"
    if preset == "monthly_day":
        return f"FREQ=MONTHLY;BYMONTHDAY={due_date.day}"
    if preset == "monthly_last_weekday":
        return f"FREQ=MONTHLY;BYDAY=-1{weekday}"
    if preset == "yearly":
        return f"FREQ=YEARLY;BYMONTH={due_date.month};BYMONTHDAY={due_date.day}"
    return None


def preset_labels(due_date: datetime.date | None) -> list[tuple[str, str]]:
    """The presets, named for ``due_date`` when there is one ("Every week on Friday")."""
    if due_date is None:
        return PRESETS
    weekday = calendar.day_name[due_date.weekday()]
    named = {
        "weekly": f"Every week on {weekday}",
        "monthly_day": f"Monthly on day {due_date.day}",
        "monthly_last_weekday": f"Monthly on the last {weekday}",
        "yearly": f"Every year on {due_date.day} {calendar.month_name[due_date.month]}",
    }
    return [(value, named.get(value, label)) for value, label in PRESETS]


def preset_of(rule: str, due_date: datetime.date | None) -> str:
    """The preset that makes ``rule`` for ``due_date``, else custom."""
    text = normalize(rule)
    if not text:
        return PRESET_NONE
    for value, _ in PRESETS:
        if value not in (PRESET_NONE, PRESET_CUSTOM) and preset_rule(value, due_date) == text:
            return value
    return PRESET_CUSTOM
