"""What the exams domain tells the rest of the academy (sent inside the grading
transaction; the study-points receiver is connected in `elearning.apps`)."""

from django.dispatch import Signal

#: a graded attempt passed its exam; keyword arguments: member, exam, attempt
exam_passed = Signal()
