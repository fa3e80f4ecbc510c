from django.apps import AppConfig


class OrganizationsConfig(AppConfig):
    name = "organizations"
    verbose_name = "组织"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from organizations.logins import connect_signals

        connect_signals()  # password change / deactivation end the user's logins

        # member records: the field-key system checks
        # Every way a UnitRole is written or deleted (services, imports, the Django admin,
        # a plain create) re-derives the holder's admin rights.
        from django.db.models.signals import post_delete, post_save

        from organizations.models import UnitRole
        from organizations.records import checks as _record_checks  # noqa: F401

        def _changed(sender, instance, **kwargs):
            from django.contrib.auth import get_user_model

            from organizations.services import _roles_changed

            user = get_user_model().objects.filter(pk=instance.user_id).first()
            if user is not None:  # None: the user itself is being deleted
                _roles_changed(user)

        # a person is shown by their member name (organizations.names)
        from organizations.models import Member
        from organizations.names import install_user_display, member_saved

        post_save.connect(member_saved, sender=Member, dispatch_uid="organizations.member_name")
        install_user_display()

        for signal, uid in ((post_save, "roles_saved"), (post_delete, "roles_deleted")):
            signal.connect(
                _changed, sender=UnitRole, dispatch_uid=f"organizations.{uid}", weak=False
            )
