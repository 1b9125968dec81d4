"""SuiJian (随检): the one place that wires configuration, database, blueprints and CLI."""
import os
import secrets

from flask import Flask

from . import config as config_module


def _secret_key(instance_path):
    """Read instance/secret_key, creating it with fresh random bytes on first start."""
    path = os.path.join(instance_path, "secret_key")
    if not os.path.exists(path):
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as fh:
            fh.write(secrets.token_hex(32))
    with open(path) as fh:
        return fh.read().strip()


# Feature packages, each exposing `bp` (routes and its CLI group), in navigation order.
FEATURES = ["auth", "org", "plans", "registers", "draw", "tasklist", "inspection", "review", "reports", "documents", "audit", "history", "admin"]


def create_app(test_config=None):
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    app = Flask(
        __name__,
        instance_path=os.environ.get("SUIJIAN_INSTANCE", os.path.join(root, "instance")),
        instance_relative_config=True,
        template_folder=os.path.join(root, "templates"),
        static_folder=os.path.join(root, "static"),
    )
    os.makedirs(app.instance_path, exist_ok=True)
    if test_config is None:
        app.config.from_object(config_module.Config)
        app.config.from_pyfile("config.py", silent=True)
    elif isinstance(test_config, dict):
        app.config.from_object(config_module.TestConfig)
        app.config.update(test_config)
    else:
        app.config.from_object(test_config)
    if not app.config.get("SECRET_KEY"):
        app.config["SECRET_KEY"] = _secret_key(app.instance_path)
    if not app.config.get("FORMS_DIR"):
        app.config["FORMS_DIR"] = os.path.join(root, "forms")

    from . import cli, db, errors, inputs, nav, security, views, workflow

    inputs.init_app(app)  # request class and route converters: before any route is added
    db.init_app(app)
    security.init_app(app)
    errors.init_app(app)
    cli.init_app(app)
    nav.init_app(app)
    workflow.init_app(app)

    import importlib

    for feature in FEATURES:
        app.register_blueprint(importlib.import_module(f".{feature}", __name__).bp)
    app.register_blueprint(views.bp)
    return app
