"""Configuration classes. Values come from the environment, then instance/config.py overrides."""
import os


class Config:
    # Filled in by create_app from instance/secret_key (generated on first start, never in code).
    SECRET_KEY = None
    # Empty means the SQLite file instance/suijian.db; postgresql://user@host/db selects PostgreSQL.
    DATABASE_URL = os.environ.get("DATABASE_URL", "")
    # How long a write waits for the database lock before it is retried (then 503 请稍后重试):
    # SQLite's busy timeout, PostgreSQL's lock_timeout. See webapp/db.py.
    DB_BUSY_TIMEOUT_MS = int(os.environ.get("DB_BUSY_TIMEOUT_MS") or 5000)
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_NAME = "suijian_session"
    # Cookies (session and device) are marked Secure on every request that came over HTTPS
    # (directly, or through a proxy counted in TRUSTED_PROXIES). SESSION_COOKIE_SECURE=1 in the
    # environment (or SESSION_COOKIE_SECURE = True in instance/config.py) marks them Secure
    # always: set it when the site is served over HTTPS only. Off by default because many
    # intranets still serve plain HTTP, where a Secure cookie never comes back (no sign-in).
    SESSION_COOKIE_SECURE = os.environ.get("SESSION_COOKIE_SECURE", "").lower() in ("1", "true", "yes", "on")
    # Behind a reverse proxy (nginx terminating HTTPS), the number of proxies in front of the app:
    # the client address (sign-in throttling by address) and the scheme are then taken from
    # X-Forwarded-For / X-Forwarded-Proto. 0 (default): the app is reached directly, and those
    # headers are ignored (anyone could forge them).
    TRUSTED_PROXIES = int(os.environ.get("TRUSTED_PROXIES", "0") or 0)
    PERMANENT_SESSION_LIFETIME = 8 * 3600  # one working day, then sign in again whatever happens
    # Inactivity: a session nobody used for this long is ended on the server. 60 minutes: an
    # inspector on site may talk with the institution for a long while between two saves and
    # should not lose the page they are filling in; a PC left unlocked over the lunch break
    # (12:00-14:00) is signed out (等保 2.0: 登录连接超时自动退出).
    SESSION_IDLE_MINUTES = float(os.environ.get("SESSION_IDLE_MINUTES", "60"))
    WTF_CSRF_TIME_LIMIT = None  # a token lives as long as the session: inspectors keep pages open for hours
    # Sign-in throttling (等保 2.0 asks for 登录失败处理). Failures are counted per account name,
    # per client address and per known device. The first LOGIN_MAX_FAILURES failures of an
    # account are free; each further one doubles the wait before the next attempt
    # (LOGIN_DELAY_SECONDS, 2x, 4x, … up to LOGIN_DELAY_MAX_SECONDS). There is no hard lock: a
    # stranger can at worst make a real inspector wait LOGIN_DELAY_MAX_SECONDS, and not even
    # that on the inspector's own browser (it signs in under its device key), and the admin can
    # lift a delay at once (登录锁定 page). Counts are forgotten after LOGIN_WINDOW_SECONDS
    # without a failure, or on a successful sign-in.
    LOGIN_MAX_FAILURES = 5
    LOGIN_DELAY_SECONDS = 2
    LOGIN_DELAY_MAX_SECONDS = 15 * 60
    # One client address trying many names: more free failures (an office may share an
    # address), a longer cap.
    LOGIN_ADDR_MAX_FAILURES = 20
    LOGIN_ADDR_DELAY_MAX_SECONDS = 60 * 60
    LOGIN_WINDOW_SECONDS = 24 * 3600
    # A browser that signed in successfully keeps a signed device cookie this long.
    LOGIN_DEVICE_DAYS = 90
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
    # long enough that a test never sees a delay run out on its own
    LOGIN_DELAY_SECONDS = 600
    SESSION_COOKIE_SECURE = False  # the test client speaks plain http
    SESSION_IDLE_MINUTES = 60
    PASSWORD_HASH_METHOD = "pbkdf2:sha256:1000"
