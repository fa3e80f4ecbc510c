"""drf-spectacular hooks: the published schema is /api/v1/ only (Wagtail's admin API is
internal to the admin and not for the apps); response shapes documented from the apps'
TypedDict declarations."""

from __future__ import annotations

import datetime as dt
import types
import typing
from decimal import Decimal

from rest_framework import serializers


def only_api_v1(endpoints):
    return [e for e in endpoints if e[0].startswith("/api/v1/")]


# --- response shapes declared once, in the apps' representations --------------------------
#
# An app declares the JSON it returns as a TypedDict next to the function that builds it
# (e.g. elearning.courses.representations.CourseJSON); the API documents it with a
# serializer derived here, used only for the OpenAPI schema (the views return the dicts).
# The component is named after the TypedDict without its "JSON" suffix.

_SIMPLE = {
    bool: serializers.BooleanField,
    int: serializers.IntegerField,
    float: serializers.FloatField,
    str: serializers.CharField,
    dt.date: serializers.DateField,
    dt.datetime: serializers.DateTimeField,
}
_shapes: dict[tuple[type, str], type[serializers.Serializer]] = {}


def shape_serializer(shape: type, name: str | None = None) -> type[serializers.Serializer]:
    """The serializer class documenting the TypedDict `shape` (one class per shape, so
    a shape nested in several answers is one schema component)."""
    name = name or shape.__name__.removesuffix("JSON")
    if (shape, name) not in _shapes:
        hints = typing.get_type_hints(shape, include_extras=True)
        fields = {
            key: _field(hint, required=key in shape.__required_keys__)
            for key, hint in hints.items()
        }
        _shapes[shape, name] = type(f"{name}Serializer", (serializers.Serializer,), fields)
    return _shapes[shape, name]


def _field(hint, *, required: bool = True) -> serializers.Field:
    kwargs = {} if required else {"required": False}
    origin, args = typing.get_origin(hint), typing.get_args(hint)
    if origin in (typing.NotRequired, typing.Required):
        return _field(args[0], required=origin is typing.Required)
    if origin in (typing.Union, types.UnionType) and type(None) in args:
        (hint,) = [a for a in args if a is not type(None)]
        kwargs["allow_null"] = True
        origin, args = typing.get_origin(hint), typing.get_args(hint)
    if origin is typing.Annotated:  # Annotated[Decimal, <the model's DecimalField>]
        model_field = hint.__metadata__[0]
        return serializers.DecimalField(
            max_digits=model_field.max_digits,
            decimal_places=model_field.decimal_places,
            coerce_to_string=False,
            **kwargs,
        )
    if origin is typing.Literal:
        return serializers.ChoiceField(list(args), **kwargs)
    if typing.is_typeddict(hint):
        return shape_serializer(hint)(**kwargs)
    if origin is list:
        if typing.is_typeddict(args[0]):
            return shape_serializer(args[0])(many=True, **kwargs)
        return serializers.ListField(child=_field(args[0]), **kwargs)
    if origin is dict:
        return serializers.DictField(child=_field(args[1]), **kwargs)
    if hint is dict:
        return serializers.DictField(**kwargs)
    if hint is Decimal:
        raise TypeError("declare a Decimal as Annotated[Decimal, <model DecimalField>]")
    return _SIMPLE[hint](**kwargs)
