"""The JSON shapes of manuscripts (API, shared with the portal)."""

from __future__ import annotations

from django.urls import reverse


def attachment_as_dict(a) -> dict:
    return {
        "id": a.pk,
        "name": a.name,
        "kind": a.kind,
        "is_image": a.is_image,
        "size": a.size,
        "url": reverse("api:manuscript-attachment", args=[a.pk]),
    }


def _unit(u) -> dict:
    return {"id": u.pk, "code": u.code, "name": u.name}


def _when(value) -> str | None:
    return value.isoformat() if value else None


def manuscript_as_dict(m) -> dict:
    score = getattr(m, "score", None) if _has_score(m) else None
    return {
        "id": m.pk,
        "title": m.title,
        "sender_unit": _unit(m.sender_unit),
        "receiver_unit": _unit(m.receiver_unit),
        "target_kind": m.target_kind,
        "column": m.column,
        "status": m.status,
        "status_label": str(m.get_status_display()),
        "register_number": m.register_number,
        "leader_endorsed": m.leader_endorsed,
        "submitted_at": _when(m.submitted_at),
        "decided_at": _when(m.decided_at),
        "score": float(score.points) if score else None,
    }


def _has_score(m) -> bool:
    from django.core.exceptions import ObjectDoesNotExist

    try:
        return m.score is not None
    except ObjectDoesNotExist:
        return False


def manuscript_detail_as_dict(m) -> dict:
    return {
        **manuscript_as_dict(m),
        "body_format": m.body_format,
        "body": m.body,
        "endorsement_note": m.endorsement_note,
        "news_page_id": m.news_page_id,
        "attachments": [attachment_as_dict(a) for a in m.attachments.all()],
        "history": [
            {
                "action": e.action,
                "action_label": str(e.get_action_display()),
                "from_status": e.from_status,
                "to_status": e.to_status,
                "comment": e.comment,
                "at": e.created_at.isoformat(),
            }
            for e in m.events.all()
        ],
    }
