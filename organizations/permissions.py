"""Who may manage the organisation in the admin: superusers everywhere, unit admins and
secretaries inside the subtree of the units they hold that role on. Every decision goes
through organizations.selectors, so the admin and the API apply the same scope rule."""

from __future__ import annotations

from django.db.models import QuerySet
from wagtail.permission_policies.base import BasePermissionPolicy

from organizations.models import Member, OrgUnit, UnitRole
from organizations.selectors import (
    members_in_scope,
    role_paths,
    unit_in_scope,
    units_in_scope,
    user_has_global_scope,
)

ORG_ADMIN_ROLES = (UnitRole.Role.UNIT_ADMIN, UnitRole.Role.SECRETARY)
ACTIONS = ("add", "change", "delete", "view")


def can_manage_org(user) -> bool:
    """True when the user may open the organisation admin at all."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return False
    return user_has_global_scope(user) or bool(role_paths(user, ORG_ADMIN_ROLES))


def managed_units(user) -> QuerySet[OrgUnit]:
    return units_in_scope(user, roles=ORG_ADMIN_ROLES)


def managed_members(user) -> QuerySet[Member]:
    return members_in_scope(user, roles=ORG_ADMIN_ROLES)


class ScopedPermissionPolicy(BasePermissionPolicy):
    """Wagtail permission policy for OrgUnit and Member: any org-admin role allows the
    actions; an instance is allowed only inside the user's managed subtrees."""

    def _unit_of(self, instance) -> OrgUnit:
        return instance if isinstance(instance, OrgUnit) else instance.unit

    def user_has_permission(self, user, action):
        return action in ACTIONS and can_manage_org(user)

    def user_has_any_permission(self, user, actions):
        return any(self.user_has_permission(user, a) for a in actions)

    def user_has_permission_for_instance(self, user, action, instance):
        if not self.user_has_permission(user, action):
            return False
        return unit_in_scope(user, self._unit_of(instance), roles=ORG_ADMIN_ROLES)

    def instances_user_has_any_permission_for(self, user, actions):
        if not self.user_has_any_permission(user, actions):
            return self.model._default_manager.none()
        if self.model is OrgUnit:
            return managed_units(user)
        return managed_members(user)

    def users_with_any_permission(self, actions):
        from django.contrib.auth import get_user_model
        from django.db.models import Q

        return (
            get_user_model()
            .objects.filter(is_active=True)
            .filter(Q(is_superuser=True) | Q(unit_roles__role__in=ORG_ADMIN_ROLES))
            .distinct()
        )
