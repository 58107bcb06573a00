"""
E-mail for notifications (DESIGN §8 "Channels", "Invitations").

- ``send_pending_mail`` (every 30 s): notifications to be mailed at once, one e-mail per
  person and task once the changes to it have settled (``NOTIFICATION_BURST_SECONDS`` after
  the last one, at most 10 minutes after the first); reminders go at once.
- ``send_digests`` (every 5 min): one e-mail per person with everything waiting for their
  daily digest, once their own local digest hour has come.
- ``send_invitation_email``: a job that writes to an invited address with no account
  (``enqueue_invitation_email`` enqueues it after commit).

The mails are built in ``mail_messages``; the signed links they carry live in ``mail_links``.

**At most once.** A scheduler claims rows (``SELECT … FOR UPDATE SKIP LOCKED``, then a
conditional update to ``sending``) and commits before it talks to the mail server; only then
does it send, and afterwards marks them ``sent``. Two schedulers never claim the same row, so
no mail goes twice. A mail server that refuses or is down puts the rows back to ``pending``
with a later ``email_retry_at`` (given up after ``MAX_ATTEMPTS``). A scheduler that dies
between claiming and recording leaves rows in ``sending``: after ``STALE_SENDING`` they are
marked ``skipped``, since nobody knows whether the server took the mail, and a second copy is
worse than a missing one (the inbox has it either way).
"""

from __future__ import annotations

import datetime
import logging
from collections import defaultdict

from django.conf import settings
from django.core.cache import cache
from django.core.mail import mailers
from django.db import IntegrityError, transaction
from django.db.models import Min, Q
from django.tasks import task
from django.utils import timezone

from accounts.models import User
from notifications.mail_links import invitation_join_url, settings_for
from notifications.mail_messages import digest_message, instant_message, message
from notifications.models import Delivery, Kind, Notification, NotificationSettings
from tasks.models import Invitation, Project, Task

logger = logging.getLogger(__name__)

#: Several changes to one task make one mail, but none waits longer than this.
BURST_CAP = datetime.timedelta(minutes=10)
#: Failed attempts after which a notification is no longer mailed (it stays in the inbox).
MAX_ATTEMPTS = 8
#: Rows claimed this long ago by a scheduler that never came back are given up.
STALE_SENDING = datetime.timedelta(hours=1)
#: Rows looked at per run.
BATCH = 500

State = Notification.EmailState


def register_mail_jobs() -> None:
    """Hand the periodic mail work to the scheduler (when the installation has one)."""
    try:
        from project import scheduler
    except ImportError:
        return
    scheduler.register("notifications.send_pending_mail", send_pending_mail, every=30)
    scheduler.register("notifications.send_digests", send_digests, every=300)


# ---------------------------------------------------------------------------
# Sending and recording
# ---------------------------------------------------------------------------
def _still_wanted(recipient: User, notes: list[Notification]) -> list[Notification]:
    """
    Checked when sending, not when the notification was made: the person can still receive
    mail, still wants this kind by e-mail, and can still see the task (or project).
    """
    if not recipient.is_active or not recipient.can_receive_mail:
        return []
    choices = settings_for(recipient)
    visible_tasks = set(
        Task.objects.visible_to(recipient)
        .filter(pk__in={note.task_id for note in notes if note.task_id})
        .values_list("pk", flat=True)
    )
    visible_projects = set(
        Project.objects.visible_to(recipient)
        .filter(pk__in={note.project_id for note in notes if note.project_id})
        .values_list("pk", flat=True)
    )
    invitations = [
        (note.data or {}).get("invitation") for note in notes if note.kind == Kind.INVITED
    ]
    open_invitations = set(
        Invitation.objects.current()
        .filter(pk__in=[pk for pk in invitations if isinstance(pk, int)])
        .values_list("pk", flat=True)
    )
    wanted = []
    for note in notes:
        if choices.delivery(note.kind) == Delivery.OFF:
            continue
        invitation = (note.data or {}).get("invitation")
        if note.kind == Kind.INVITED and invitation and invitation not in open_invitations:
            continue  # answered, withdrawn or expired meanwhile
        if note.task_id and note.task_id not in visible_tasks:
            continue
        if (
            not note.task_id
            and note.project_id
            and note.kind != Kind.INVITED  # an invitee is not a member yet
            and note.project_id not in visible_projects
        ):
            continue
        wanted.append(note)
    return wanted


def _claimed(ids: list[int]) -> list[Notification]:
    return list(
        Notification.objects.filter(pk__in=ids, email_state=State.SENDING)
        .select_related("recipient", "task", "project", "actor")
        .order_by("created_at", "id")
    )


def _retry_later(notes: list[Notification], now: datetime.datetime) -> None:
    """The mail did not go: try again later (waiting longer each time), then give up."""
    for note in notes:
        attempts = note.email_attempts + 1
        if attempts >= MAX_ATTEMPTS:
            logger.error("Gave up e-mailing notification %s after %s attempts", note.pk, attempts)
            changes = {"email_state": State.SKIPPED}
        else:
            wait = datetime.timedelta(minutes=min(2 ** (attempts - 1), 60))
            changes = {"email_state": State.PENDING, "email_retry_at": now + wait}
        Notification.objects.filter(pk=note.pk, email_state=State.SENDING).update(
            email_attempts=attempts, **changes
        )


def _deliver(ids: list[int], build, now: datetime.datetime) -> bool:
    """
    Send the claimed rows ``ids`` as one mail made by ``build(recipient, notes)``; record
    the outcome. True when a mail went out.
    """
    notes = _claimed(ids)
    if not notes:
        return False
    recipient = notes[0].recipient
    wanted = _still_wanted(recipient, notes)
    skipped = [note.pk for note in notes if note not in wanted]
    if skipped:
        Notification.objects.filter(pk__in=skipped, email_state=State.SENDING).update(
            email_state=State.SKIPPED
        )
    if not wanted:
        return False
    try:
        message = build(recipient, wanted)
        mailers.default.send_messages([message])
    except Exception:
        # SMTP down or refusing, or anything else: the rows wait for another try.
        logger.warning(
            "Could not e-mail notifications %s; will try again",
            [note.pk for note in wanted],
            exc_info=True,
        )
        _retry_later(wanted, now)
        return False
    Notification.objects.filter(
        pk__in=[note.pk for note in wanted], email_state=State.SENDING
    ).update(email_state=State.SENT, emailed_at=timezone.now(), email_retry_at=None)
    return True


def _give_up_stale(now: datetime.datetime) -> None:
    """Rows a vanished scheduler claimed: perhaps sent, perhaps not; never sent twice."""
    Notification.objects.filter(
        email_state=State.SENDING, emailed_at__lt=now - STALE_SENDING
    ).update(email_state=State.SKIPPED)


def _due_for_retry(now: datetime.datetime) -> Q:
    return Q(email_retry_at__isnull=True) | Q(email_retry_at__lte=now)


def _claim(ids: list[int], now: datetime.datetime) -> bool:
    """Mark ``ids`` as being sent, all or none (inside the caller's transaction)."""
    try:
        with transaction.atomic():
            claimed = Notification.objects.filter(pk__in=ids, email_state=State.PENDING).update(
                email_state=State.SENDING, emailed_at=now
            )
            if claimed != len(ids):
                raise IntegrityError("claimed elsewhere")
    except IntegrityError:
        return False
    return True


# ---------------------------------------------------------------------------
# At once, a burst of changes to one task making one mail
# ---------------------------------------------------------------------------
def _group_key(note: Notification) -> tuple:
    if note.kind == Kind.REMINDER:
        return ("reminder", note.pk)
    if note.task_id:
        return (note.recipient_id, "task", note.task_id)
    return (note.recipient_id, "project", note.project_id)


def _ready(notes: list[Notification], now: datetime.datetime) -> bool:
    if any(note.kind == Kind.REMINDER for note in notes):
        return True
    burst = datetime.timedelta(seconds=settings.NOTIFICATION_BURST_SECONDS)
    newest = max(note.created_at for note in notes)
    oldest = min(note.created_at for note in notes)
    return newest <= now - burst or oldest <= now - BURST_CAP


def send_pending_mail(now: datetime.datetime | None = None) -> int:
    """Send the instant e-mails that are due; the number of e-mails sent."""
    now = now or timezone.now()
    _give_up_stale(now)
    batches = []
    with transaction.atomic():
        rows = list(
            Notification.objects.select_for_update(skip_locked=True)
            .filter(_due_for_retry(now), email_state=State.PENDING, email_delivery=Delivery.INSTANT)
            .only("id", "recipient_id", "task_id", "project_id", "kind", "created_at")
            .order_by("created_at", "id")[:BATCH]
        )
        groups = defaultdict(list)
        for note in rows:
            groups[_group_key(note)].append(note)
        for notes in groups.values():
            ids = [note.pk for note in notes]
            if _ready(notes, now) and _claim(ids, now):
                batches.append(ids)
    # Claimed and committed: now talk to the mail server.
    return sum(_deliver(ids, instant_message, now) for ids in batches)


# ---------------------------------------------------------------------------
# Daily digest at each person's local hour
# ---------------------------------------------------------------------------
def local_moment(day: datetime.date, hour: int, zone) -> datetime.datetime:
    """
    ``hour`` o'clock on ``day`` in ``zone``, as an instant. An hour that happens twice (clocks
    going back) is its first; one that does not exist (clocks going forward) is the first
    valid moment after the gap: ``fold=0`` reads a missing time with the offset before the
    change, so 02:00 in New York on a spring-forward day is 07:00 UTC, which is 03:00 EDT.
    """
    naive = datetime.datetime.combine(day, datetime.time(hour))
    return naive.replace(tzinfo=zone).astimezone(datetime.UTC)


def last_digest_moment(now: datetime.datetime, zone, hour: int) -> datetime.datetime:
    """The most recent digest moment at or before ``now``: today's, else yesterday's."""
    today = now.astimezone(zone).date()
    moment = local_moment(today, hour, zone)
    if moment <= now:
        return moment
    return local_moment(today - datetime.timedelta(days=1), hour, zone)


def send_digests(now: datetime.datetime | None = None) -> int:
    """
    Send each person's digest whose local digest hour has come since the last one, with
    everything waiting for it; the number of e-mails sent.
    """
    now = now or timezone.now()
    _give_up_stale(now)
    waiting = dict(
        Notification.objects.filter(
            _due_for_retry(now), email_state=State.PENDING, email_delivery=Delivery.DIGEST
        )
        .values("recipient")
        .annotate(oldest=Min("created_at"))
        .order_by()
        .values_list("recipient", "oldest")
    )
    default_hour = NotificationSettings._meta.get_field("digest_hour").default
    rows = {row.user_id: row for row in NotificationSettings.objects.filter(user__in=waiting)}
    sent = 0
    for user in User.objects.filter(pk__in=list(waiting)).order_by("pk"):
        row = rows.get(user.pk)
        due = last_digest_moment(now, user.zone, row.digest_hour if row else default_hour)
        # Only what was already waiting at the digest moment calls for a digest.
        if waiting[user.pk] > due or (row and row.last_digest_at and row.last_digest_at >= due):
            continue
        claim = _claim_digest(user, due, now)
        if claim is None:
            continue
        ids, previous = claim
        if _deliver(ids, digest_message, now):
            sent += 1
        elif Notification.objects.filter(pk__in=ids, email_state=State.PENDING).exists():
            # Not sent and to be tried again: so is the digest.
            NotificationSettings.objects.filter(user=user, last_digest_at=now).update(
                last_digest_at=previous
            )
    return sent


def _claim_digest(user: User, due: datetime.datetime, now: datetime.datetime):
    """Claim ``user``'s digest (their settings row, then their rows): (ids, previous) or None."""
    settings_for(user)
    with transaction.atomic():
        row = (
            NotificationSettings.objects.select_for_update(skip_locked=True)
            .filter(user=user)
            .first()
        )
        if row is None or (row.last_digest_at and row.last_digest_at >= due):
            return None  # another scheduler has it, or has just sent it
        ids = list(
            Notification.objects.select_for_update(skip_locked=True)
            .filter(
                _due_for_retry(now),
                recipient=user,
                email_state=State.PENDING,
                email_delivery=Delivery.DIGEST,
            )
            .order_by("created_at", "id")
            .values_list("pk", flat=True)[:BATCH]
        )
        if not ids or not _claim(ids, now):
            return None
        previous = row.last_digest_at
        row.last_digest_at = now
        row.save(update_fields=["last_digest_at"])
    return ids, previous


# ---------------------------------------------------------------------------
# Invitations to an address without an account
# ---------------------------------------------------------------------------
def enqueue_invitation_email(invitation_id: int) -> None:
    """After the current transaction commits, e-mail the invitation to its address."""
    transaction.on_commit(lambda: send_invitation_email.enqueue(invitation_id))


def _within_hourly_limit(inviter_id: int | None) -> bool:
    """``INVITATION_EMAILS_PER_HOUR`` mails per inviter and clock hour (counted in the cache)."""
    key = f"invitation-mails:{inviter_id}:{timezone.now():%Y%m%d%H}"
    cache.add(key, 0, 3600)
    try:
        count = cache.incr(key)
    except ValueError:  # expired between the two calls
        cache.add(key, 1, 3600)
        count = 1
    return count <= settings.INVITATION_EMAILS_PER_HOUR


@task
def send_invitation_email(invitation_id: int) -> str:
    """
    Write to an invited address that has no account: who invites, to which project, and a
    signed link that expires with the invitation. At most one mail per invitation and
    renewal; a mail server that is down fails the job, which the queue tries again.
    """
    invitation = (
        Invitation.objects.select_related("project", "invited_by")
        .filter(pk=invitation_id, invitee__isnull=True)
        .first()
    )
    if invitation is None or "@" not in invitation.address:
        return "no such invitation"
    if invitation.status != Invitation.Status.PENDING or invitation.is_expired:
        return "no longer open"
    once = f"invitation-mail:{invitation.pk}:{invitation.expires_at.timestamp()}"
    if not cache.add(once, 1, settings.INVITATION_EXPIRY_DAYS * 86400):
        return "already sent"
    if not _within_hourly_limit(invitation.invited_by_id):
        cache.delete(once)
        logger.warning(
            "Invitation %s not e-mailed: its inviter sent %s invitation mails this hour",
            invitation.pk,
            settings.INVITATION_EMAILS_PER_HOUR,
        )
        return "rate limited"
    inviter = invitation.invited_by.name if invitation.invited_by else "Someone"
    email = message(
        to=invitation.address,
        subject=f"{inviter} invited you to “{invitation.project.name}” on Taskdesk",
        template="invitation",
        context={
            "invitation": invitation,
            "inviter": inviter,
            "project": invitation.project,
            "role": invitation.get_role_display().lower(),
            "link": invitation_join_url(invitation),
            "expires_at": invitation.expires_at,
        },
    )
    try:
        mailers.default.send_messages([email])
    except Exception:
        cache.delete(once)  # not sent: the retry may send it
        logger.warning("Could not e-mail invitation %s; will try again", invitation.pk)
        raise
    return "sent"
