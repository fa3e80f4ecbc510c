"""Question bank import/export: Moodle GIFT (`gift`), the Excel template and the admin
form's text fields (`excel`), and the all-or-nothing import of validated drafts
(`drafts`). An import with any error imports nothing."""

from elearning.exams.question_io.drafts import (
    MAX_QUESTIONS,
    Draft,
    ImportErrors,
    QuestionValueError,
    questions_import,
)
from elearning.exams.question_io.excel import (
    HEADERS,
    answer_as_text,
    export_excel,
    options_as_text,
    parse_excel,
    question_fields_from_text,
    template_excel,
)
from elearning.exams.question_io.gift import parse_gift

__all__ = [
    "HEADERS",
    "MAX_QUESTIONS",
    "Draft",
    "ImportErrors",
    "QuestionValueError",
    "answer_as_text",
    "export_excel",
    "options_as_text",
    "parse_excel",
    "parse_gift",
    "question_fields_from_text",
    "questions_import",
    "template_excel",
]
