from django.apps import AppConfig


class ElearningConfig(AppConfig):
    name = "elearning"
    verbose_name = "网络学院"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from elearning import content
        from elearning.contests import services as contests
        from elearning.courses.signals import lesson_completed, lesson_watched
        from elearning.exams.signals import exam_passed
        from organizations.signals import members_moved, unit_roles_changed

        content.register()  # courses and lessons (elearning/content.py)
        _notifications()

        # study points for the events the courses and exams domains verified
        lesson_completed.connect(
            contests.points_for_lesson_completed, dispatch_uid="elearning.points_lesson"
        )
        lesson_watched.connect(
            contests.points_for_lesson_watched, dispatch_uid="elearning.points_watch"
        )
        exam_passed.connect(contests.points_for_exam_passed, dispatch_uid="elearning.points_exam")

        def _refile(sender, member_ids=None, **kwargs):
            contests.points_unit_paths_sync(member_ids=member_ids)

        members_moved.connect(_refile, dispatch_uid="elearning.points_refile", weak=False)

        def _sync(sender, user=None, **kwargs):
            if user is not None:
                from elearning.services import user_academy_groups_sync

                user_academy_groups_sync(user=user)

        unit_roles_changed.connect(_sync, dispatch_uid="elearning.academy_groups_sync", weak=False)


def _notifications() -> None:
    """The academy's notification kinds, and the trigger: a new assignment tells its
    audience once the assignment is committed (in-app rows written in bulk)."""
    from django.db import transaction
    from django.db.models.signals import post_save
    from django.utils.translation import gettext_lazy as _

    from elearning.courses.models import Assignment
    from notifications.kinds import Kind, register

    register(
        Kind(
            code="course_assigned",
            label=_("学习任务"),
            title_template=_("新的学习任务：《{course}》"),
            body_template=_("请在 {due} 前完成《{course}》的学习。{note}"),
            mandatory=True,
        )
    )

    register(
        Kind(
            code="course_reminder",
            label=_("学习提醒"),
            title_template=_("学习提醒：《{course}》还有 {days} 天截止"),
            body_template=_("《{course}》将于 {due} 截止，请尽快完成学习。"),
            mandatory=True,
        )
    )
    register(
        Kind(
            code="course_last_day",
            label=_("学习截止提醒"),
            title_template=_("今天截止：《{course}》"),
            body_template=_("《{course}》今天（{due}）截止，请在今天 24:00 前完成学习。"),
            mandatory=True,
        )
    )
    register(
        Kind(
            code="exam_open",
            label=_("考试开始"),
            title_template=_("考试已开始：{title}"),
            body_template=_("《{title}》现已开放，请按时参加。"),
        )
    )
    register(
        Kind(
            code="contest_open",
            label=_("竞答开始"),
            title_template=_("知识竞答已开始：{title}"),
            body_template=_("《{title}》现已开始，欢迎参加。"),
        )
    )

    import datetime as dt

    from core.schedule import register_jobs

    register_jobs(
        "elearning",
        (
            "attempts_close_overdue",
            "attempts_close_overdue",
            dt.timedelta(minutes=1),
            _("关闭超过时限的考试作答并评分"),
        ),
        (
            "points_unit_paths_sync",
            "points_unit_paths_sync",
            dt.timedelta(minutes=5),
            _("调整组织关系后重新归集学习积分"),
        ),
        (
            "assignment_reminders",
            "assignment_reminders_send",
            dt.timedelta(minutes=15),
            _("学习任务截止提醒：截止前 3 天、前 1 天和当天，各组织当地时间 9:00"),
        ),
        (
            "openings",
            "openings_announce",
            dt.timedelta(minutes=5),
            _("考试、知识竞答开始时通知面向的党员"),
        ),
    )

    def _assigned(sender, instance, created, raw=False, **kwargs):
        if created and not raw:
            from elearning.courses.services import assignment_notify

            pk = instance.pk
            # robust: a failed notification is logged, never undoes or fails the save
            transaction.on_commit(lambda: assignment_notify(assignment_id=pk), robust=True)

    post_save.connect(
        _assigned, sender=Assignment, dispatch_uid="elearning.assignment_notify", weak=False
    )
