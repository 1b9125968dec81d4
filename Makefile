# 随检 SuiJian — two commands: `make run` (set up and serve) and `make test` (set up and test).
# `make run` loads the demo into an empty database; `make run DEMO=0` sets up an empty database
# without demo accounts (then create the first admin: see README 部署).
VENV    ?= .venv
DEMO    ?= 1
TIMEOUT ?= 120
PY      := $(VENV)/bin/python
FLASK   := $(VENV)/bin/flask --app webapp
HOST    ?= 127.0.0.1
PORT    ?= 5000
# Debian packages: WeasyPrint needs pango and harfbuzz's subsetter (without it a Chinese page
# takes ~9 s instead of ~0.2 s); Noto CJK is the free Chinese font; tests add a browser and pdftoppm.
APT_RUN  := fonts-noto-cjk libharfbuzz-subset0 libpango-1.0-0 libpangoft2-1.0-0
APT_TEST := $(APT_RUN) chromium poppler-utils
SUDO    := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: run test test-long serve db apt-run apt-test bench load clean

# gunicorn's timeout is explicit: a 汇总表 PDF of a whole city takes seconds, not minutes.
run: apt-run $(VENV)/.run db
	@echo "随检已启动：http://$(HOST):$(PORT)/"
	$(VENV)/bin/gunicorn --bind $(HOST):$(PORT) --workers 2 --threads 4 --timeout $(TIMEOUT) --access-logfile - 'webapp:create_app()'

test: apt-test $(VENV)/.test
	$(VENV)/bin/pytest $(PYTEST_ARGS)

# The slow tests left out of `make test` (marked `long`): kill -9 of the live server under load.
test-long: apt-test $(VENV)/.test
	$(VENV)/bin/pytest -m long $(PYTEST_ARGS)

db: $(VENV)/.run
	$(FLASK) init-db
ifeq ($(DEMO),0)
	$(FLASK) demo --none
	@echo "首次使用：先建地区和执法单位，再建第一个管理员（详见 README“部署”）："
	@echo "  $(FLASK) create-area <行政区划代码> <名称> [--parent <上级代码>]"
	@echo "  $(FLASK) create-unit <单位名称> --area <行政区划代码> --short <简称>"
	@echo "  $(FLASK) create-user --unit <单位名称> --role admin"
else
	$(FLASK) demo
	@echo "演示账号见 README（每页顶部标有“演示数据”）。正式使用请用 make run DEMO=0 另建空数据库。"
endif

bench: $(VENV)/.test
	$(PY) bench/run.py

# 50 inspectors for 45 s against gunicorn as `make run` starts it, on SQLite and (when
# TEST_DATABASE_URL or DATABASE_URL is set) PostgreSQL: errors, lost/duplicated saves, latency.
load: $(VENV)/.test
	$(PY) bench/load.py $(LOAD_ARGS)

# Install only the Debian packages that are missing (apt-get needs root; sudo otherwise).
apt-run:
	@missing=$$(for p in $(APT_RUN); do dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q "ok installed" || echo $$p; done); \
	if [ -n "$$missing" ]; then echo "安装系统软件包：$$missing"; $(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq $$missing; fi

apt-test:
	@missing=$$(for p in $(APT_TEST); do dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q "ok installed" || echo $$p; done); \
	if [ -n "$$missing" ]; then echo "安装系统软件包：$$missing"; $(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq $$missing; fi

# Debian's own python3 needs python3-venv for this; install it when venv is missing.
$(VENV)/bin/python:
	python3 -m venv $(VENV) || { $(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq python3-venv && python3 -m venv $(VENV); }
	$(VENV)/bin/pip install -q --upgrade pip

$(VENV)/.run: $(VENV)/bin/python setup.cfg pyproject.toml
	$(VENV)/bin/pip install -q -e .
	touch $@

$(VENV)/.test: $(VENV)/.run
	$(VENV)/bin/pip install -q -e '.[test]'
	touch $@

clean:
	rm -rf $(VENV) test-artifacts *.egg-info
