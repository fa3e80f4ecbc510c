from django.apps import AppConfig


class ElearningConfig(AppConfig):
    name = "elearning"
    verbose_name = "网络学院"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from organizations.signals import members_moved, unit_roles_changed

        def _refile(sender, member_ids=None, **kwargs):
            from elearning.points import points_unit_paths_sync

            points_unit_paths_sync(member_ids=member_ids)

        members_moved.connect(_refile, dispatch_uid="elearning.points_refile", weak=False)

        def _sync(sender, user=None, **kwargs):
            if user is not None:
                from elearning.services import user_academy_groups_sync

                user_academy_groups_sync(user=user)

        unit_roles_changed.connect(_sync, dispatch_uid="elearning.academy_groups_sync", weak=False)
