"""Admin access to unit-owned models: ONE permission policy and ONE viewset mixin.

What a user may do comes from Django model permissions (or, for the organisation admin
and the media library, from holding a role at all); WHERE comes from the row's unit:
it must lie in the subtree of a unit where the user holds one of the policy's roles
(`organizations.scope.scope_for(user, roles=…).units_q` — the same rule the API and the
portal apply).

`UnitScopedPermissionPolicy` answers Wagtail's permission questions with that rule, and
`UnitScopedViewSetMixin` puts it in front of every view a viewset builds: the listing and
its exports show only rows in scope, and every view that loads an object by id (edit,
copy, history, usage, delete, inspect, revisions, lock, preview, …) and every chooser
answers 404 for an object outside scope, exactly as for a missing one. Apps register one
policy per model; `policy_for(model)` finds it (forms use it to narrow their choices, the
generic admin test to find every scoped model).
"""

from __future__ import annotations

from collections.abc import Iterable

from django import forms
from django.contrib.admin.utils import unquote
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.db.models import Q, QuerySet
from django.http import Http404
from django.utils.functional import cached_property
from wagtail.admin.views.generic import IndexView
from wagtail.admin.views.generic.chooser import (
    BaseChooseView,
    ChosenMultipleViewMixin,
    ChosenViewMixin,
)
from wagtail.permission_policies.base import ModelPermissionPolicy

from organizations.models import Member, OrgUnit, UnitRole
from organizations.selectors import (
    ObjectNotFound,
    members_in_scope,
    object_or_not_found,
    scope_for,
    units_in_scope,
)

ORG_ADMIN_ROLES = (UnitRole.Role.UNIT_ADMIN, UnitRole.Role.SECRETARY)
ACTIONS = ("add", "change", "delete", "view")

_POLICIES: dict[type, UnitScopedPermissionPolicy] = {}


def can_manage_org(user) -> bool:
    """True when the user may open the organisation admin at all."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return False
    return scope_for(user, roles=ORG_ADMIN_ROLES).has_role


def managed_units(user) -> QuerySet[OrgUnit]:
    return units_in_scope(user, roles=ORG_ADMIN_ROLES)


def managed_members(user) -> QuerySet[Member]:
    return members_in_scope(user, roles=ORG_ADMIN_ROLES)


class UnitScopedPermissionPolicy(ModelPermissionPolicy):
    """Wagtail permission policy for a unit-owned model.

    scope_field   unit path lookup of a row, e.g. "audience_unit__path"
    roles         roles whose subtree the user may manage (None: any role)
    model_perms   False: holding one of `roles` anywhere is the model permission
    choose_field  rows whose unit at this lookup is visible to the user as a reader (the
                  audience rule) may also be *chosen* (e.g. a group-wide book for a
                  lesson), though not edited
    extra_q       callable user → Q of further rows in scope (e.g. the user's own uploads)
    """

    def __init__(
        self,
        model,
        *,
        scope_field: str,
        roles: Iterable[str] | None = None,
        model_perms: bool = True,
        choose_field: str | None = None,
        extra_q=None,
    ):
        super().__init__(model)
        self.scope_field = scope_field
        self.roles = tuple(roles) if roles else None
        self.model_perms = model_perms
        self.choose_field = choose_field
        self.extra_q = extra_q
        _POLICIES[model] = self

    # --- where ------------------------------------------------------------------------
    def scope(self, user):
        return scope_for(user, roles=self.roles)

    def scope_q(self, user) -> Q:
        scope = self.scope(user)
        if scope.is_global:
            return Q()  # not OR-ed below: Q() | X is X, not "everything"
        q = scope.units_q(self.scope_field)
        if self.extra_q is not None and scope.is_authenticated:
            q |= self.extra_q(user)
        return q

    def choose_q(self, user) -> Q:
        scope = self.scope(user)
        if scope.is_global:
            return Q()
        q = self.scope_q(user)
        if self.choose_field and scope.is_authenticated:
            q |= scope.audience_q(self.choose_field)
        return q

    def unit_choices(self, user) -> QuerySet[OrgUnit]:
        """Units a row may be given (its owner, audience, …): where the user holds the
        policy's roles."""
        return units_in_scope(user, roles=self.roles).order_by("path")

    def scoped(self, user, queryset: QuerySet | None = None) -> QuerySet:
        """Rows the user may manage (list, edit, copy, history, usage, delete, export)."""
        qs = self.model._default_manager.all() if queryset is None else queryset
        return qs.filter(self.scope_q(user))

    def choosable(self, user, queryset: QuerySet | None = None) -> QuerySet:
        """Rows the user may pick in a chooser or a form field."""
        qs = self.model._default_manager.all() if queryset is None else queryset
        return qs.filter(self.choose_q(user))

    def in_scope(self, user, instance) -> bool:
        return instance.pk is not None and self.scoped(user).filter(pk=instance.pk).exists()

    def access_by_id(self, user, pk, *, action: str = "change", queryset=None):
        """The row the user may `action` (model permission and scope), or ObjectNotFound
        — the same for a missing row, one out of scope and one the user may not touch."""
        if not self.user_has_permission(user, action):
            raise ObjectNotFound
        return object_or_not_found(self.scoped(user, queryset), pk)

    def object_or_404(self, user, pk, *, action: str = "change", queryset=None):
        """`access_by_id` for an admin view: the admin's not-found is Http404."""
        try:
            return self.access_by_id(user, pk, action=action, queryset=queryset)
        except ObjectNotFound:
            raise Http404 from None

    def can_choose(self, user, instance) -> bool:
        return instance.pk is not None and self.choosable(user).filter(pk=instance.pk).exists()

    # --- what (Wagtail's permission policy API) -----------------------------------------
    def _holds_role(self, user) -> bool:
        if not getattr(user, "is_authenticated", False) or not user.is_active:
            return False
        return self.scope(user).has_role

    def user_has_permission(self, user, action):
        if self.model_perms:
            return super().user_has_permission(user, action)
        return action in ACTIONS and self._holds_role(user)

    def user_has_any_permission(self, user, actions):
        if self.model_perms:
            return super().user_has_any_permission(user, actions)
        return any(self.user_has_permission(user, a) for a in actions)

    def user_has_permission_for_instance(self, user, action, instance):
        return self.user_has_permission(user, action) and self.in_scope(user, instance)

    def user_has_any_permission_for_instance(self, user, actions, instance):
        return self.user_has_any_permission(user, actions) and self.in_scope(user, instance)

    def instances_user_has_permission_for(self, user, action):
        return self.instances_user_has_any_permission_for(user, [action])

    def instances_user_has_any_permission_for(self, user, actions):
        if not self.user_has_any_permission(user, actions):
            return self.model._default_manager.none()
        return self.scoped(user)

    def users_with_any_permission(self, actions):
        if self.model_perms:
            return super().users_with_any_permission(actions)
        users = get_user_model().objects.filter(is_active=True)
        role_q = Q(unit_roles__isnull=False)
        if self.roles:
            role_q = Q(unit_roles__role__in=self.roles)
        return users.filter(Q(is_superuser=True) | role_q).distinct()


def policy_for(model) -> UnitScopedPermissionPolicy | None:
    """The scope policy registered for `model` (None: not a unit-scoped model)."""
    return _POLICIES.get(model)


# --- views ----------------------------------------------------------------------------
class _ScopedObjectMixin:
    """Any view that loads one object by id: out of scope is a 404."""

    scope_policy: UnitScopedPermissionPolicy

    def get_object(self, *args, **kwargs):
        try:
            obj = super().get_object(*args, **kwargs)
        except PermissionDenied:
            # the view asked the policy itself (e.g. copy): out of scope is still a 404
            pk = self.kwargs.get("pk")
            if pk is not None:
                rows = self.scope_policy.scoped(self.request.user).filter(pk=unquote(str(pk)))
                if not rows.exists():
                    raise Http404 from None
            raise
        if obj is not None and obj.pk is not None:
            if not self.scope_policy.in_scope(self.request.user, obj):
                raise Http404
        return obj


class _ScopedIndexMixin(_ScopedObjectMixin):
    """The listing, its search/filter results and its exports."""

    def get_base_queryset(self):
        return self.scope_policy.scoped(self.request.user, super().get_base_queryset())

    @cached_property
    def filters(self):  # e.g. "periodical" of the issues' listing: only choosable ones
        filterset = super().filters
        if filterset is not None:
            scope_form_choices(filterset.form, self.request.user)
        return filterset


class _ScopedChooseMixin:
    def get_object_list(self):
        return self.scope_policy.choosable(self.request.user, super().get_object_list())


class _ScopedChosenMixin:
    def get_object(self, pk):
        obj = super().get_object(pk)
        if not self.scope_policy.can_choose(self.request.user, obj):
            raise Http404
        return obj


class _ScopedChosenMultipleMixin:
    def get_objects(self, pks):
        return self.scope_policy.choosable(self.request.user, super().get_objects(pks))


def scoped_view_class(view_class, policy: UnitScopedPermissionPolicy):
    """`view_class` with the scope rule in front of how it finds its object(s)."""
    if getattr(view_class, "scope_policy", None) is policy:
        return view_class
    if issubclass(view_class, IndexView):
        mixin = _ScopedIndexMixin
    elif issubclass(view_class, BaseChooseView):
        mixin = _ScopedChooseMixin
    elif issubclass(view_class, ChosenViewMixin):
        mixin = _ScopedChosenMixin
    elif issubclass(view_class, ChosenMultipleViewMixin):
        mixin = _ScopedChosenMultipleMixin
    else:
        mixin = _ScopedObjectMixin
    return type(f"UnitScoped{view_class.__name__}", (mixin, view_class), {"scope_policy": policy})


class UnitScopedViewSetMixin:
    """For ModelViewSet, SnippetViewSet and ChooserViewSet subclasses: set `scope_policy`
    (a UnitScopedPermissionPolicy); every view the viewset constructs — including copy,
    history, usage, inspect, exports and the snippet chooser — is scoped by it."""

    scope_policy: UnitScopedPermissionPolicy

    @property
    def permission_policy(self):
        return self.scope_policy

    def construct_view(self, view_class, **kwargs):
        return super().construct_view(scoped_view_class(view_class, self.scope_policy), **kwargs)

    @property
    def chooser_viewset_class(self):  # SnippetViewSet: its chooser follows the same policy
        base = super().chooser_viewset_class
        return type(
            f"UnitScoped{base.__name__}",
            (UnitScopedViewSetMixin, base),
            {"scope_policy": self.scope_policy},
        )


def scope_form_choices(form, user) -> None:
    """Narrow every choice field of `form` (and of its inline forms) that points at a
    unit-scoped model to what `user` may choose, so a guessed id posted past the chooser
    is refused with a message naming the field. Unit fields (OrgUnit) are left to the
    form: which units may be chosen depends on the role the form is for."""
    if user is None:
        return
    for field in form.fields.values():
        if not isinstance(field, forms.ModelChoiceField):
            continue
        policy = policy_for(field.queryset.model)
        if policy is None or field.queryset.model in (OrgUnit, Member):
            continue
        field.queryset = policy.choosable(user, field.queryset)
        field.error_messages = {
            **field.error_messages,
            "invalid_choice": f"所选{field.label or ''}不存在或不在您可以使用的范围内",
            "invalid_pk_value": f"所选{field.label or ''}不存在或不在您可以使用的范围内",
        }
    for formset in getattr(form, "formsets", {}).values():
        for child in formset.forms:
            scope_form_choices(child, user)


UNIT_FIELDS = ("owner_unit", "audience_unit", "publishing_unit")


def scope_unit_fields(
    form,
    user,
    *,
    roles: Iterable[str] | None,
    names: Iterable[str] = UNIT_FIELDS,
    required: bool = False,
) -> None:
    """Limit the unit choice fields `names` of `form` to the units where `user` holds
    `roles` (superusers: left as they are), ordered by the tree; `required`: a user
    without global scope must choose one."""
    if user is None:
        return
    scope = scope_for(user, roles=roles)
    for name in names:
        field = form.fields.get(name)
        if field is None or scope.is_global:
            continue
        field.queryset = OrgUnit.objects.filter(scope.units_q("path")).order_by("path")
        if required:
            field.required = True


class ScopedBulkActionMixin:
    """Bulk actions (e.g. the snippets' bulk delete) on a scoped model: every id must be in
    scope, else 404; "select all" means all rows in scope."""

    def _policy(self):
        return policy_for(self.model)

    def get_all_objects_in_listing_query(self, parent_id):
        policy = self._policy()
        if policy is None:
            return super().get_all_objects_in_listing_query(parent_id)
        return policy.scoped(self.request.user).values_list("pk", flat=True)

    def get_actionable_objects(self):
        policy = self._policy()
        ids = [i for i in self.request.GET.getlist("id") if i != "all"]
        if policy is not None and ids:
            try:
                found = policy.scoped(self.request.user).filter(pk__in=ids).count()
            except (ValueError, TypeError):
                raise Http404 from None
            if found != len(set(ids)):
                raise Http404
        return super().get_actionable_objects()

    def check_perm(self, obj):
        policy = self._policy()
        if policy is not None and not policy.in_scope(self.request.user, obj):
            return False
        return super().check_perm(obj)
