"""Questions on their way in: validated drafts, the errors that refuse a whole file, and
the all-or-nothing import."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db import transaction

from core.errors import DomainError
from elearning.exams.models import Question
from organizations.models import OrgUnit

MAX_QUESTIONS = 5000


@dataclass
class Draft:
    type: str
    stem: str
    options: list = field(default_factory=list)
    answer: object = None
    explanation: str = ""
    category: str = "默认"
    difficulty: int = 2
    tags: str = ""
    title: str = ""
    text_format: str = "plain"
    feedback: dict = field(default_factory=dict)
    line: int = 0  # where the question starts in its file (GIFT)


class ImportErrors(DomainError):
    """All problems found in a file; nothing was imported."""

    code = "import_refused"

    def __init__(self, errors: list[str]):
        super().__init__("; ".join(errors[:5]))
        self.errors = errors


class QuestionValueError(DomainError, ValueError):
    """A question that breaks the template's rules; `field` says which part: "type",
    "stem", "answer", "difficulty" or "options" (the admin form puts the message there)."""

    def __init__(self, message: str, *, field: str):
        super().__init__(message)
        self.field = field


def drafts_summary(drafts: list[Draft]) -> str:
    """ "12 道题：单选题 5、判断题 7；分类 2 个" — what an import would write."""
    counts: dict[str, int] = {}
    for d in drafts:
        counts[d.type] = counts.get(d.type, 0) + 1
    labels = dict(Question.Type.choices)
    kinds = "、".join(f"{labels.get(t, t)} {n}" for t, n in counts.items())
    categories = len({d.category for d in drafts})
    return f"{len(drafts)} 道题：{kinds}；分类 {categories} 个"


@transaction.atomic
def questions_import(*, drafts: list[Draft], owner_unit: OrgUnit) -> list[Question]:
    """All-or-nothing insert of validated drafts."""
    return Question.objects.bulk_create(
        [
            Question(
                type=d.type,
                title=d.title[:200],
                stem=d.stem,
                options=d.options,
                answer=d.answer,
                explanation=d.explanation,
                text_format=d.text_format,
                feedback=d.feedback,
                category=d.category,
                difficulty=d.difficulty,
                tags=d.tags,
                owner_unit=owner_unit,
            )
            for d in drafts
        ]
    )
