"""What the courses domain tells the rest of the academy. Sent inside the writing
transaction, like a direct call; the receivers (study points, in `elearning.contests`)
are connected in `elearning.apps`, so this package imports nothing above it."""

from django.dispatch import Signal

#: a member completed a lesson (watched coverage or server-measured reading time);
#: keyword arguments: member, lesson
lesson_completed = Signal()

#: the unique watched seconds of a member on a video/audio lesson grew; keyword
#: arguments: member, lesson, seconds_before, seconds_after
lesson_watched = Signal()
