"""The registry of notification kinds. An app declares its kinds once, from its
AppConfig.ready():

    from notifications.kinds import Kind, register
    register(Kind(code="course_assigned", label=_("学习任务"),
                  title_template=_("新的必修课：{course}"),
                  body_template=_("请在 {due} 前完成《{course}》。"), mandatory=True))

Templates are translatable (`gettext_lazy`, zh-hans first) and use `str.format` fields;
they are rendered once, in the site's language, when a notification is sent and the text
is stored (a later change of wording does not rewrite old messages).
"""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
from django.utils import translation

_KINDS: dict[str, Kind] = {}


@dataclass(frozen=True)
class Kind:
    code: str
    title_template: str
    body_template: str = ""
    label: str = ""
    #: organisation-mandated (a compulsory course): members cannot switch it off in-app
    mandatory: bool = False
    #: urgent: pushed and texted even in the member's quiet hours
    urgent: bool = False

    def render(self, context: dict) -> tuple[str, str]:
        with translation.override(settings.LANGUAGE_CODE):
            return (
                str(self.title_template).format(**context),
                str(self.body_template).format(**context),
            )


def register(kind: Kind) -> Kind:
    if not kind.code or len(kind.code) > 64:
        raise ValueError("Kind.code: 1–64 characters")
    existing = _KINDS.get(kind.code)
    if existing is not None and existing != kind:
        raise ValueError(f"notification kind {kind.code!r} is registered twice")
    _KINDS[kind.code] = kind
    return kind


def get(code: str) -> Kind:
    try:
        return _KINDS[code]
    except KeyError:
        raise LookupError(f"unknown notification kind {code!r}") from None


def all_kinds() -> list[Kind]:
    return sorted(_KINDS.values(), key=lambda k: k.code)


def choices() -> list[tuple[str, str]]:
    return [(k.code, str(k.label or k.code)) for k in all_kinds()]
