"""
Quick add understands text: "Pay rent tomorrow 5pm p1 #finance @ben every month" becomes a
title ("Pay rent") with a due date and time, a priority, a tag, an assignee and a repeat.

``parse`` is pure: no database. Callers pass the project's members (by username) and tags (by
lower-case name). What it does not understand stays in the title; a title that would be
empty keeps the original text.

Words (English, matched case-insensitively):

- dates: ``today``, ``tomorrow``, ``yesterday``, weekday names (``fri``, ``friday``, ``next
  friday``: the next one after today, never today), ``next week`` (next Monday), ``in 3
  days``, ``in 2 weeks``, ``in 1 month``, ``12 Dec``, ``Dec 12``, ``December 12th`` (a date
  already past this year means next year; a year may follow), ``2026-12-24``, ``24/12`` and
  ``24/12/2027`` (day first), each optionally after ``on``;
- times: ``5pm``, ``5:30pm``, ``5 pm``, ``17:00``, ``at 9`` (24-hour clock), ``noon``,
  ``midnight``, optionally after ``at``. A time without a date is today;
- priority: ``p1`` (urgent), ``p2`` (high), ``p3`` (medium), ``p4`` (low);
- ``#tag``: an existing tag of the project (a one-word name; a tag whose name has a space
  cannot be named here); ``@username``: a member of the project;
- repeats: ``every day``, ``every weekday``, ``every monday`` (``every mon and thu``),
  ``every week``, ``every 2 weeks``, ``every other week``, ``every month``, ``every month on
  the 15th``, ``every 15th``, ``every year``, ``daily``, ``weekly``, ``monthly``, ``yearly``.
  A repeat without a date starts on its first occurrence from today.

The first date, time, priority and repeat win; a second one stays in the title. The words
live in a ``Words`` table so that another language is one more table.
"""

from __future__ import annotations

import datetime
import re
import zoneinfo
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from dateutil.relativedelta import relativedelta
from django.core.exceptions import ValidationError

from tasks import recurrence as rrules
from tasks.models import Priority


@dataclass(frozen=True)
class Words:
    """The words of one language (all lower case)."""

    weekdays: Mapping[str, int]  # name → 0 (Monday) … 6 (Sunday)
    months: Mapping[str, int]  # name → 1 … 12
    today: frozenset[str]
    tomorrow: frozenset[str]
    yesterday: frozenset[str]
    next: frozenset[str]
    week: frozenset[str]
    on: frozenset[str]
    at: frozenset[str]
    in_: frozenset[str]
    every: frozenset[str]
    other: frozenset[str]
    and_: frozenset[str]
    the: frozenset[str]
    weekday: frozenset[str]
    noon: frozenset[str]
    midnight: frozenset[str]
    am: frozenset[str]
    pm: frozenset[str]
    units: Mapping[str, str]  # "day"/"days" → "days", …
    adverbs: Mapping[str, str]  # "daily" → "DAILY", …
    ordinal_suffixes: tuple[str, ...]


def _names(*groups: tuple[int, tuple[str, ...]]) -> dict[str, int]:
    return {name: number for number, names in groups for name in names}


ENGLISH = Words(
    weekdays=_names(
        (0, ("mon", "monday")),
        (1, ("tue", "tues", "tuesday")),
        (2, ("wed", "wednesday")),
        (3, ("thu", "thur", "thurs", "thursday")),
        (4, ("fri", "friday")),
        (5, ("sat", "saturday")),
        (6, ("sun", "sunday")),
    ),
    months=_names(
        (1, ("jan", "january")),
        (2, ("feb", "february")),
        (3, ("mar", "march")),
        (4, ("apr", "april")),
        (5, ("may",)),
        (6, ("jun", "june")),
        (7, ("jul", "july")),
        (8, ("aug", "august")),
        (9, ("sep", "sept", "september")),
        (10, ("oct", "october")),
        (11, ("nov", "november")),
        (12, ("dec", "december")),
    ),
    today=frozenset({"today"}),
    tomorrow=frozenset({"tomorrow", "tmrw"}),
    yesterday=frozenset({"yesterday"}),
    next=frozenset({"next"}),
    week=frozenset({"week"}),
    on=frozenset({"on"}),
    at=frozenset({"at"}),
    in_=frozenset({"in"}),
    every=frozenset({"every", "each"}),
    other=frozenset({"other"}),
    and_=frozenset({"and", ","}),
    the=frozenset({"the"}),
    weekday=frozenset({"weekday", "workday"}),
    noon=frozenset({"noon", "midday"}),
    midnight=frozenset({"midnight"}),
    am=frozenset({"am", "a.m."}),
    pm=frozenset({"pm", "p.m."}),
    units={
        "day": "days",
        "days": "days",
        "week": "weeks",
        "weeks": "weeks",
        "month": "months",
        "months": "months",
        "year": "years",
        "years": "years",
    },
    adverbs={
        "daily": "DAILY",
        "weekly": "WEEKLY",
        "monthly": "MONTHLY",
        "yearly": "YEARLY",
        "annually": "YEARLY",
    },
    ordinal_suffixes=("st", "nd", "rd", "th"),
)

PRIORITIES = {
    "p1": Priority.URGENT,
    "p2": Priority.HIGH,
    "p3": Priority.MEDIUM,
    "p4": Priority.LOW,
}
FREQUENCY_OF_UNIT = {"days": "DAILY", "weeks": "WEEKLY", "months": "MONTHLY", "years": "YEARLY"}
MAX_INTERVAL = 366

_NUMBER = re.compile(r"^\d{1,3}$")
_ISO = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})$")
_SLASHED = re.compile(r"^(\d{1,2})/(\d{1,2})(?:/(\d{4}|\d{2}))?$")
_CLOCK = re.compile(r"^(\d{1,2})(?::(\d{2}))?(am|pm|a\.m\.|p\.m\.)?$")
_TAG = re.compile(r"^#([\w-]+)$")
_MENTION = re.compile(r"^@([\w.@+-]+)$")


@dataclass
class Parsed:
    title: str
    due_date: datetime.date | None = None
    due_time: datetime.time | None = None
    priority: str | None = None
    tags: list[Any] = field(default_factory=list)
    assignee: Any = None
    recurrence: str = ""
    #: What was understood, in order: (kind, label) with kind one of date, time, priority,
    #: tag, assignee, repeat.
    chips: list[tuple[str, str]] = field(default_factory=list)


class _Parser:
    def __init__(self, text, today, members, tags, words):
        self.text = text
        self.today = today
        self.words = words
        self.members = {name.lower(): user for name, user in members.items()}
        self.tags = {name.lower(): tag for name, tag in tags.items()}
        self.tokens = text.split()
        self.low = [token.lower() for token in self.tokens]
        self.result = Parsed(title=text)

    # -- helpers -------------------------------------------------------------------------

    def word(self, i: int) -> str:
        return self.low[i] if 0 <= i < len(self.low) else ""

    def number(self, i: int, *, ordinal: bool = False) -> int | None:
        token = self.word(i)
        if ordinal:
            for suffix in self.words.ordinal_suffixes:
                if token.endswith(suffix) and token[: -len(suffix)].isdigit():
                    token = token[: -len(suffix)]
                    break
        return int(token) if _NUMBER.match(token) else None

    def day_month(self, day: int | None, month: int | None, year: int | None):
        if day is None or month is None:
            return None
        try:
            if year is not None:
                return datetime.date(year, month, day)
            found = datetime.date(self.today.year, month, day)
            if found < self.today:
                found = datetime.date(self.today.year + 1, month, day)
            return found
        except ValueError:
            return None

    def year(self, i: int) -> int | None:
        token = self.word(i)
        return int(token) if re.fullmatch(r"\d{4}", token) else None

    def next_weekday(self, weekday: int) -> datetime.date:
        ahead = (weekday - self.today.weekday()) % 7 or 7
        return self.today + datetime.timedelta(days=ahead)

    # -- matchers: each returns (tokens used, value) or None ------------------------------

    def match_date(self, i: int):
        w = self.words
        token = self.word(i)
        if token in w.on:
            found = self.match_date(i + 1)
            return (found[0] + 1, found[1]) if found else None
        if token in w.today:
            return 1, self.today
        if token in w.tomorrow:
            return 1, self.today + datetime.timedelta(days=1)
        if token in w.yesterday:
            return 1, self.today - datetime.timedelta(days=1)
        if token in w.next:
            following = self.word(i + 1)
            if following in w.weekdays:
                return 2, self.next_weekday(w.weekdays[following])
            if following in w.week:
                return 2, self.next_weekday(0)
            return None
        if token in w.weekdays:
            return 1, self.next_weekday(w.weekdays[token])
        if token in w.in_:
            count, unit = self.number(i + 1), w.units.get(self.word(i + 2))
            if count is None or unit is None:
                return None
            return 3, self.today + relativedelta(**{unit: count})
        if match := _ISO.match(token):
            try:
                return 1, datetime.date(*(int(part) for part in match.groups()))
            except ValueError:
                return None
        if match := _SLASHED.match(token):
            day, month, year = match.groups()
            if year is not None:
                year = int(year) + (2000 if len(year) == 2 else 0)
            found = self.day_month(int(day), int(month), year)
            return (1, found) if found else None
        # "12 Dec", "12th December 2027"
        day = self.number(i, ordinal=True)
        if day is not None and self.word(i + 1) in w.months:
            year = self.year(i + 2)
            found = self.day_month(day, w.months[self.word(i + 1)], year)
            return (2 + (year is not None), found) if found else None
        # "Dec 12", "December 12th 2027"
        if token in w.months:
            day = self.number(i + 1, ordinal=True)
            year = self.year(i + 2) if day is not None else None
            found = self.day_month(day, w.months[token], year)
            return (2 + (year is not None), found) if found else None
        return None

    def match_time(self, i: int):
        w = self.words
        token = self.word(i)
        if token in w.noon:
            return 1, datetime.time(12, 0)
        if token in w.midnight:
            return 1, datetime.time(0, 0)
        at = token in w.at
        if at:
            if self.word(i + 1) in w.noon | w.midnight:
                return 2, self.match_time(i + 1)[1]
            token = self.word(i + 1)
        match = _CLOCK.match(token)
        if not match:
            return None
        hour, minute, meridiem = match.groups()
        hour, minute = int(hour), int(minute or 0)
        used = 1 + at
        if meridiem is None and self.word(i + used) in w.am | w.pm:
            meridiem = self.word(i + used)
            used += 1
        if meridiem is None and not at and match.group(2) is None:
            return None  # a bare number ("buy 5 apples") is not a time
        if meridiem is not None:
            if not 1 <= hour <= 12:
                return None
            hour = hour % 12 + (12 if meridiem in w.pm else 0)
        if hour > 23 or minute > 59:
            return None
        return used, datetime.time(hour, minute)

    def match_repeat(self, i: int):
        w = self.words
        token = self.word(i)
        if token in w.adverbs:
            return 1, f"FREQ={w.adverbs[token]}"
        if token not in w.every:
            return None
        j, interval = i + 1, 1
        if self.word(j) in w.other:
            j, interval = j + 1, 2
        elif (count := self.number(j)) is not None and self.word(j + 1) in w.units:
            j, interval = j + 1, count
        word = self.word(j)
        if not 1 <= interval <= MAX_INTERVAL:
            return None
        suffix = f";INTERVAL={interval}" if interval > 1 else ""
        if word in w.weekday and interval == 1:
            return j + 1 - i, "FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR"
        if word in w.weekdays and interval == 1:
            days = [w.weekdays[word]]
            j += 1
            while self.word(j) in w.and_ and self.word(j + 1) in w.weekdays:
                days.append(w.weekdays[self.word(j + 1)])
                j += 2
            byday = ",".join(rrules.WEEKDAYS[day] for day in sorted(set(days)))
            return j - i, f"FREQ=WEEKLY;BYDAY={byday}"
        if word in w.units:
            unit = w.units[word]
            if unit == "months" and self.word(j + 1) in w.on:
                k = j + 2 + (self.word(j + 2) in w.the)
                day = self.number(k, ordinal=True)
                if day is not None and 1 <= day <= 31:
                    return k + 1 - i, f"FREQ=MONTHLY{suffix};BYMONTHDAY={day}"
            return j + 1 - i, f"FREQ={FREQUENCY_OF_UNIT[unit]}{suffix}"
        # "every 15th": a day of the month
        if interval == 1 and re.fullmatch(r"\d{1,2}(st|nd|rd|th)", word):
            day = self.number(j, ordinal=True)
            if 1 <= day <= 31:
                return j + 1 - i, f"FREQ=MONTHLY;BYMONTHDAY={day}"
        return None

    # -- the walk ------------------------------------------------------------------------

    def run(self) -> Parsed:
        result, kept, i = self.result, [], 0
        while i < len(self.tokens):
            used = self.step(i)
            if used:
                i += used
            else:
                kept.append(self.tokens[i])
                i += 1
        if result.recurrence and result.due_date is None:
            rule = rrules.build(result.recurrence, self.today)
            first = rule.after(datetime.datetime.combine(self.today, datetime.time.min), inc=True)
            if first is not None:
                result.due_date = first.date()
                result.chips.insert(0, ("date", _date_label(result.due_date)))
        if result.due_time is not None and result.due_date is None:
            result.due_date = self.today
            result.chips.insert(0, ("date", _date_label(result.due_date)))
        result.title = " ".join(kept) or " ".join(self.tokens)
        return result

    def step(self, i: int) -> int:
        result, token = self.result, self.low[i]
        if not result.recurrence and (found := self.match_repeat(i)):
            used, rule = found
            try:
                rrules.validate_rule(rule)
            except ValidationError:
                return 0
            result.recurrence = rule
            result.chips.append(("repeat", rrules.describe(rule)))
            return used
        if result.due_date is None and (found := self.match_date(i)):
            result.due_date = found[1]
            result.chips.append(("date", _date_label(found[1])))
            return found[0]
        if result.due_time is None and (found := self.match_time(i)):
            result.due_time = found[1]
            result.chips.append(("time", found[1].strftime("%H:%M")))
            return found[0]
        if result.priority is None and token in PRIORITIES:
            result.priority = PRIORITIES[token]
            result.chips.append(("priority", f"{token.upper()} {result.priority.label}"))
            return 1
        if (match := _TAG.match(token)) and match.group(1) in self.tags:
            tag = self.tags[match.group(1)]
            if tag not in result.tags:
                result.tags.append(tag)
                result.chips.append(("tag", f"#{getattr(tag, 'name', match.group(1))}"))
            return 1
        if result.assignee is None and (match := _MENTION.match(token)):
            user = self.members.get(match.group(1))
            if user is not None:
                result.assignee = user
                result.chips.append(("assignee", f"@{getattr(user, 'username', match.group(1))}"))
                return 1
        return 0


def _date_label(day: datetime.date) -> str:
    return f"{day:%a} {day.day} {day:%b %Y}"


def today_in(zone: datetime.tzinfo | str | None) -> datetime.date:
    """Today's date where the user is."""
    if isinstance(zone, str):
        try:
            zone = zoneinfo.ZoneInfo(zone)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            zone = None
    return datetime.datetime.now(zone or datetime.UTC).date()


def parse(
    text: str,
    *,
    today: datetime.date | None = None,
    zone: datetime.tzinfo | str | None = None,
    members: Mapping[str, Any] | None = None,
    tags: Mapping[str, Any] | None = None,
    words: Words = ENGLISH,
) -> Parsed:
    """
    Read a quick-add line. ``today`` is the day in the user's zone (computed from ``zone``
    when not given); ``members`` maps usernames to users, ``tags`` lower-case names to tags.
    """
    if today is None:
        today = today_in(zone)
    return _Parser(text or "", today, members or {}, tags or {}, words).run()


def parse_for(project, user, text: str) -> Parsed:
    """
    ``parse`` for a line typed into ``project`` by ``user``: the project's members and tags
    (two queries), today in the user's time zone.
    """
    from accounts.models import User
    from tasks.models import Tag

    members = {
        member.username: member for member in User.objects.filter(memberships__project=project)
    }
    tags = {tag.name.lower(): tag for tag in Tag.objects.filter(project=project)}
    return parse(text, today=today_in(user.zone), members=members, tags=tags)


def merge_into(data, parsed: Parsed) -> None:
    """
    Put what ``parsed`` understood into ``data`` (a mutable QueryDict or a dict of form or
    API fields) where the sender did not give the field itself: explicit fields win.
    """

    def missing(name: str) -> bool:
        value = data.get(name)
        return value is None or value == ""

    data["title"] = parsed.title
    if parsed.due_date is not None and missing("due_date"):
        data["due_date"] = parsed.due_date.isoformat()
    if parsed.due_time is not None and missing("due_time"):
        data["due_time"] = parsed.due_time.strftime("%H:%M")
    if parsed.priority is not None and missing("priority"):
        data["priority"] = str(parsed.priority)
    if parsed.assignee is not None and missing("assignee"):
        data["assignee"] = parsed.assignee.pk
    if parsed.recurrence and missing("recurrence"):
        data["recurrence"] = parsed.recurrence
    if parsed.tags:
        pks = [tag.pk for tag in parsed.tags]
        if hasattr(data, "setlist"):
            given = data.getlist("tags")
            data.setlist("tags", given + [str(pk) for pk in pks if str(pk) not in given])
        else:
            given = list(data.get("tags") or [])
            data["tags"] = given + [pk for pk in pks if pk not in given]
