"""Configuration classes. Values come from the environment, then instance/config.py overrides."""
import os


class Config:
    # Filled in by create_app from instance/secret_key (generated on first start, never in code).
    SECRET_KEY = None
    # Empty means the SQLite file instance/suijian.db; postgresql://user@host/db selects PostgreSQL.
    DATABASE_URL = os.environ.get("DATABASE_URL", "")
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_NAME = "suijian_session"
    PERMANENT_SESSION_LIFETIME = 8 * 3600  # one working day
    WTF_CSRF_TIME_LIMIT = None  # a token lives as long as the session: inspectors keep pages open for hours
    # Sign-in throttling: after LOGIN_MAX_FAILURES failures within LOGIN_WINDOW_SECONDS the
    # account name is locked for LOGIN_LOCK_SECONDS (等保 2.0 asks for 登录失败处理).
    LOGIN_MAX_FAILURES = 5
    LOGIN_WINDOW_SECONDS = 15 * 60
    LOGIN_LOCK_SECONDS = 15 * 60
    # werkzeug's salted scrypt; tests use a cheaper salted PBKDF2 so that fixtures stay fast.
    PASSWORD_HASH_METHOD = "scrypt"
    FORMS_DIR = None  # None: the forms/ folder of the repository
    MAX_CONTENT_LENGTH = 25 * 1024 * 1024
    # Evidence photos/files attached to check items (stored under instance/evidence/).
    EVIDENCE_MAX_BYTES = 10 * 1024 * 1024
    # Spreadsheets imported (registers, task lists): the file as uploaded; what it may unpack to
    # and how many rows and columns it may hold are webapp.sheets.LIMITS.
    SHEET_MAX_BYTES = 10 * 1024 * 1024
    # 双随机: inspectors per drawn unit (行政处罚法 art. 42: at least two), and the share of drawn
    # inspectors that may be swapped after confirmation (national plans: 15%).
    DRAW_TEAM_SIZE = 2
    DRAW_SWAP_CAP = 0.15
    # 卫生监督意见书: default 改正期限 in days; number pattern when a unit has none of its own
    # (None: {简称}卫监意〔{年}〕{序号}号); the provision cited for the order ("依据……"), and the
    # address printed in the verification QR code when a document is made from the CLI.
    OPINION_DEADLINE_DAYS = 15
    OPINION_NUMBER_PATTERN = None
    OPINION_ORDER_BASIS = None
    PUBLIC_URL = None
    TESTING = False


class TestConfig(Config):
    TESTING = True
    DATABASE_URL = ""
    # Tests exercise CSRF for real: forms carry the token, htmx sends it as a header.
    WTF_CSRF_ENABLED = True
    LOGIN_MAX_FAILURES = 3
    PASSWORD_HASH_METHOD = "pbkdf2:sha256:1000"
