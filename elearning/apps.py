from django.apps import AppConfig


class ElearningConfig(AppConfig):
    name = "elearning"
    verbose_name = "网络学院"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from organizations.signals import members_moved

        def _refile(sender, member_ids=None, **kwargs):
            from elearning.points import points_unit_paths_sync

            points_unit_paths_sync(member_ids=member_ids)

        members_moved.connect(_refile, dispatch_uid="elearning.points_refile", weak=False)
