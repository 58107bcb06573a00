"""The e-mails themselves: subjects, plain text and HTML from templates, headers."""

from __future__ import annotations

from django.conf import settings
from django.core.mail import EmailMultiAlternatives, make_msgid
from django.template.loader import render_to_string
from django.urls import reverse

from accounts.models import User
from notifications.mail_links import absolute, domain, unsubscribe_url
from notifications.models import Kind, Notification


def message(*, to: str, subject: str, template: str, context: dict, unsubscribe=None):
    """
    One e-mail, plain text and HTML from ``notifications/email/<template>.txt|html``.
    ``unsubscribe`` is ``(user, kinds)``: the one-click ``List-Unsubscribe`` (RFC 8058) and
    the links at the foot.
    """
    subject = " ".join(subject.split())
    context = {"site_url": settings.SITE_URL, "subject": subject, **context}
    headers = {"Message-ID": make_msgid(domain=domain()), "Auto-Submitted": "auto-generated"}
    if unsubscribe is not None:
        user, kinds = unsubscribe
        link = unsubscribe_url(user, kinds)
        context["unsubscribe_url"] = link
        context["unsubscribe_all_url"] = unsubscribe_url(user, "all")
        headers["List-Unsubscribe"] = f"<{link}>"
        headers["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    text = render_to_string(f"notifications/email/{template}.txt", context)
    html = render_to_string(f"notifications/email/{template}.html", context)
    email = EmailMultiAlternatives(
        subject, text, settings.DEFAULT_FROM_EMAIL, [to], headers=headers
    )
    email.attach_alternative(html, "text/html")
    return email


def _actor(note: Notification) -> str:
    return note.actor.name if note.actor else "Someone"


def subject_of(note: Notification) -> str:
    """What happened, in a few words: "ann commented on “Pay rent”"."""
    actor = _actor(note)
    title = f"“{note.task.title}”" if note.task else ""
    project = f"“{note.project.name}”" if note.project else "a project"
    sentences = {
        Kind.ASSIGNED: f"{actor} assigned {title} to you",
        Kind.MENTIONED: f"{actor} mentioned you on {title}",
        Kind.COMMENTED: f"{actor} commented on {title}",
        Kind.STATUS_CHANGED: f"{actor} changed the status of {title}",
        Kind.COMPLETED: f"{actor} completed {title}",
        Kind.DUE_CHANGED: f"{actor} changed the due date of {title}",
        Kind.REMINDER: f"Reminder: {title}",
        Kind.MEMBER_ADDED: f"{actor} added you to {project}",
        Kind.ROLE_CHANGED: f"Your role in {project} changed",
        Kind.INVITED: f"{actor} invited you to {project}",
    }
    return sentences.get(note.kind) or note.summary or note.get_kind_display()


def _item(note: Notification) -> dict:
    return {
        "note": note,
        "text": note.summary or subject_of(note),
        "excerpt": (note.data or {}).get("excerpt", ""),
    }


def _task_link(note: Notification) -> str:
    if note.task_id:
        return absolute(note.task.get_absolute_url())
    if note.kind == Kind.INVITED:
        return absolute(reverse("tasks:invitation-list"))
    if note.project_id:
        return absolute(note.project.get_absolute_url())
    return absolute("/inbox/")


def instant_message(recipient: User, notes: list[Notification]):
    """One e-mail for one person about one task (or project): its latest changes."""
    first = notes[0]
    if len(notes) == 1:
        subject = subject_of(first)
    elif first.task:
        subject = f"{len(notes)} updates on “{first.task.title}”"
    else:
        subject = f"{len(notes)} updates in “{first.project.name}”" if first.project else "Updates"
    kinds = sorted({note.kind for note in notes})
    email = message(
        to=recipient.email,
        subject=subject,
        template="instant",
        context={
            "recipient": recipient,
            "task": first.task,
            "project": first.project,
            "items": [_item(note) for note in notes],
            "link": _task_link(first),
            "inbox_url": absolute("/inbox/"),
        },
        unsubscribe=(recipient, kinds),
    )
    if first.task_id:
        # Mails about one task thread together in the reader's mail program.
        thread = f"<task-{first.task_id}.{recipient.pk}@{domain()}>"
        email.extra_headers["In-Reply-To"] = thread
        email.extra_headers["References"] = thread
    return email


def digest_message(recipient: User, notes: list[Notification]):
    """The daily digest: everything waiting, by project, then by task."""
    projects: dict = {}
    for note in notes:
        project = projects.setdefault(
            note.project_id, {"project": note.project, "tasks": {}, "order": len(projects)}
        )
        entry = project["tasks"].setdefault(
            note.task_id, {"task": note.task, "link": _task_link(note), "items": []}
        )
        entry["items"].append(_item(note))
    groups = [
        {"project": group["project"], "tasks": list(group["tasks"].values())}
        for group in projects.values()
    ]
    count = len(notes)
    return message(
        to=recipient.email,
        subject=f"Your Taskdesk digest: {count} update{'' if count == 1 else 's'}",
        template="digest",
        context={
            "recipient": recipient,
            "groups": groups,
            "count": count,
            "inbox_url": absolute("/inbox/"),
        },
        unsubscribe=(recipient, sorted({note.kind for note in notes})),
    )
