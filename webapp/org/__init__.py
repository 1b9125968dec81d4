"""Organisation: the area tree, supervision units, users and their roles."""
from flask import Blueprint

bp = Blueprint("org", __name__)


@bp.app_template_global("demo_data_shown")
def demo_data_shown():
    """True while demo accounts exist: the layout then says 演示数据 on every page."""
    from flask import g
    from peewee import DatabaseError

    from .models import User

    if "_demo_data" not in g:
        try:
            g._demo_data = User.demo_accounts_active()
        except DatabaseError:  # an error page about the database must still render
            g._demo_data = False
    return g._demo_data
