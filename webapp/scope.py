"""Area scoping: a user sees the data of their own area and of every area below it.

Every query over area-bound data goes through `visible()` so the rule lives in one place.
"""
from flask import abort

from .org.models import Area


def visible_areas(user):
    """Subquery of the ids of the areas the user may see."""
    return user.area.subtree_ids()


def visible(query, area_field, user):
    """Restrict query to rows whose area_field lies in the user's area or below."""
    return query.where(area_field.in_(visible_areas(user)))


def can_see_area(user, area):
    return area.is_within(user.area)


def areas_of(user):
    """The areas the user may see (their own and below), in tree order: for area choosers."""
    return list(visible(Area.select(), Area.id, user).order_by(Area.path))


def load(model, obj_id, user, query=None, area_field=None):
    """The row of `model` with this id if the user's area covers it, else 404 (its existence is
    not disclosed): the one loader for an area-bound object named in a URL, in every feature.
    `query` (default model.select()) may join what the page needs; `area_field` (default
    model.area) is the column that places the row in an area."""
    base = query if query is not None else model.select()
    row = visible(base, area_field if area_field is not None else model.area, user).where(model.id == obj_id).get_or_none()
    if row is None:
        abort(404)
    return row
