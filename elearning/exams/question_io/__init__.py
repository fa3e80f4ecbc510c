"""Question bank import/export: Moodle GIFT (`gift`), the Excel template (`excel`), the
template's rules shared with the admin form's text fields (`template`), reading an
uploaded or named file (`files`), and the all-or-nothing import of validated drafts
(`drafts`). An import with any error imports nothing."""

from elearning.exams.question_io.drafts import (
    MAX_QUESTIONS,
    Draft,
    ImportErrors,
    QuestionValueError,
    drafts_summary,
    questions_import,
)
from elearning.exams.question_io.excel import HEADERS, export_excel, parse_excel, template_excel
from elearning.exams.question_io.files import parse_question_file
from elearning.exams.question_io.gift import parse_gift
from elearning.exams.question_io.template import (
    answer_as_text,
    options_as_text,
    question_fields_from_text,
)

__all__ = [
    "HEADERS",
    "MAX_QUESTIONS",
    "Draft",
    "ImportErrors",
    "QuestionValueError",
    "answer_as_text",
    "drafts_summary",
    "export_excel",
    "options_as_text",
    "parse_excel",
    "parse_gift",
    "parse_question_file",
    "question_fields_from_text",
    "questions_import",
    "template_excel",
]
