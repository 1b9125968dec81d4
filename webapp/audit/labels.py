"""The words of the audit trail: every action, object and field a history page can show, in
Chinese, in one place. A key missing here is never shown silently as itself: the page says
未登记的操作 / 未登记的字段 beside it and the log records a warning, and the test that walks
the demo's trail (tests/test_audit_words.py) fails.

Each field has a label and a kind; the kind says how its value is read (see display.py).
"""

# Actions, as written by trail.record(actor, action, …).
ACTIONS = {
    # 检查对象名录库 and 执法人员名录库
    "institution.create": "新增检查对象",
    "institution.update": "修改检查对象",
    "institution.edit": "修改检查对象",
    "institution.import": "导入检查对象名录",
    "inspector.create": "新增执法人员",
    "inspector.update": "修改执法人员",
    "recusal.create": "声明回避",
    "recusal.delete": "撤销回避",
    # 双随机抽取 and tasks
    "draw.run": "随机抽取",
    "draw.confirm": "确认抽取结果",
    "draw.discard": "放弃抽取结果",
    "draw.swap": "调换执法人员",
    "draw.import": "导入上级任务清单",
    "task.adhoc": "新建临时检查任务",
    "task.import": "导入检查任务",
    "tasklist.upload": "上传上级任务清单",
    "tasklist.mapping": "设置清单列对应",
    "tasklist.map": "设置清单列对应",
    "tasklist.confirm": "导入上级任务清单",
    "tasklist.resolve": "处理清单行",
    "tasklist.discard": "删除上传的任务清单",
    # 现场检查
    "record.create": "开始检查",
    "record.start": "开始检查",
    "answer.save": "保存检查结果",
    "evidence.add": "上传证据",
    "evidence.remove": "删除证据",
    "handling.save": "保存处理决定",
    # 审核
    "record.submit": "提交审核",
    "record.resubmit": "重新提交审核",
    "record.approve": "审核通过",
    "record.return": "退回",
    "record.withdraw": "撤回审核",
    "record.reopen": "重新打开",
    # 汇总表
    "summary.submit": "提交汇总表",
    "summary.review": "汇总表审核通过",
    "summary.approve": "汇总表审批通过",
    "summary.return": "退回汇总表",
    "summary.supersede": "以新版本取代汇总表",
    "summary.withdraw": "撤回汇总表",
    # 卫生监督意见书
    "opinion.draft": "起草意见书",
    "opinion.edit": "修改意见书草稿",
    "opinion.issue": "签发意见书",
    "opinion.void": "作废意见书",
    "opinion.print": "打印意见书",
    "opinion.reprint": "补打意见书",
    "opinion.follow_up": "登记复查结果",
    # 账号与机构（命令行）
    "area.create": "新增地区",
    "unit.create": "新增执法单位",
    "user.create": "新增用户",
    "user.activate": "启用账号",
    "user.deactivate": "停用账号",
    "user.password": "修改密码",
    "login.unlock": "解除登录锁定",
}

# What an entry is about: entity -> (label, how its id is shown; see display.describe).
ENTITIES = {
    "record": "检查记录",
    "answer": "检查结果",
    "evidence": "证据",
    "handling": "处理决定",
    "visit": "检查",
    "institution": "检查对象",
    "register": "检查对象名录",
    "inspector": "执法人员",
    "draw": "抽取",
    "task": "检查任务",
    "task_import": "上级任务清单",
    "summary_report": "汇总表",
    "opinion": "卫生监督意见书",
    "document": "文书",
    "area": "地区",
    "unit": "执法单位",
    "user": "用户",
    "login_throttle": "登录限制",
}

# Field key -> (label, kind). Kinds: text, bool, money, result, plan, version, hash, area,
# institution, inspector, inspectors, user, unit, record, draw, date, category, kinds, services,
# tier, item, case_kind, count, rows, row, codes, size, print_count, resolve_action, assigned,
# resolution, roles, status, opinion_number.
FIELDS = {
    # common
    "status": ("状态", "status"),
    "reason": ("原因", "text"),
    "note": ("备注", "text"),
    "plan": ("抽查计划", "plan"),
    "version": ("计划版本", "version"),
    "area": ("所属地区", "area"),
    "institution": ("检查对象", "institution"),
    "institution_id": ("检查对象", "institution"),
    "record": ("检查记录", "record"),
    "record_id": ("检查记录", "record"),
    "draw": ("抽取", "draw"),
    "category": ("类别", "category"),
    "tier": ("抽查层级", "tier"),
    "date": ("日期", "date"),
    "deadline": ("完成时限", "date"),
    "number": ("编号", "text"),
    "name": ("名称", "text"),
    "file": ("文件", "text"),
    "sha256": ("文件哈希", "hash"),
    "size": ("文件大小", "size"),
    "item": ("检查项", "item"),
    # 检查对象 (registers/services.py _snapshot)
    "credit_code": ("统一社会信用代码", "text"),
    "license_no": ("执业许可证号", "text"),
    "address": ("地址", "text"),
    "legal_rep": ("法定代表人（负责人）", "text"),
    "phone": ("联系电话", "text"),
    "kinds": ("单位类别", "kinds"),
    "services": ("服务项目", "services"),
    "created": ("新增", "codes"),
    "updated": ("更新", "codes"),
    "unchanged": ("未变", "count"),
    # 执法人员 (registers/services.py _insp_snapshot)
    "cert_no": ("执法证号", "text"),
    "unit": ("所属单位", "unit"),
    "specialties": ("专业", "text"),
    "active": ("在岗", "bool"),
    "user": ("登录账号", "user"),
    # 抽取
    "seed": ("随机种子", "text"),
    "register_hash": ("名录库哈希", "hash"),
    "result_hash": ("抽取结果哈希", "hash"),
    "tasks": ("任务数", "count"),
    "witnesses": ("见证人", "text"),
    "inspector": ("执法人员", "inspector"),
    "inspectors": ("执法人员", "inspectors"),
    # 上级任务清单
    "source": ("任务来源", "text"),
    "file_hash": ("文件哈希", "hash"),
    "random": ("随机分配执法人员的任务数", "count"),
    "skipped": ("排除的行", "rows"),
    "row": ("清单行", "row"),
    "action": ("处理方式", "resolve_action"),
    "resolution": ("处理结果", "resolution"),
    "assigned": ("执法人员分配方式", "text"),
    "mapping": ("列对应", "text"),
    "tier_default": ("统一的抽查层级", "tier"),
    "skip": ("排除此行", "bool"),
    "create": ("新建单位", "resolution"),
    # 现场检查
    "place": ("检查地点", "text"),
    "representative": ("被检查单位陪同人员", "text"),
    "result": ("结果", "result"),
    "finding": ("不合格情形", "text"),
    # 处理决定 (inspection/services.py handling_dict; labels as on the 处理决定 form)
    "penalty": ("行政处罚", "bool"),
    "case_filed": ("立案", "bool"),
    "warning": ("警告", "bool"),
    "revoke_license": ("吊销执业许可证", "bool"),
    "revoke_person": ("吊销人员资格证", "bool"),
    "revoke_subject": ("吊销诊疗科目", "bool"),
    "order_correction": ("责令改正", "bool"),
    "transfer_dept": ("移送相关部门", "bool"),
    "transfer_judicial": ("移送司法机关", "bool"),
    "opinion": ("出具监督意见书（责令整改）", "bool"),
    "report_dept": ("报告业务主管科室", "bool"),
    "hand_over": ("移交（涉嫌违法犯罪线索）", "bool"),
    "fine_fen": ("罚款", "money"),
    "confiscation_fen": ("没收违法所得", "money"),
    "case_kind": ("案件类别", "case_kind"),
    # 意见书
    "subject": ("被监督单位", "text"),
    "replaces": ("替代的意见书", "text"),
    "print_count": ("打印次数", "print_count"),
    # 账号与机构
    "code": ("行政区划代码", "text"),
    "parent": ("上级地区", "area"),
    "username": ("用户名", "text"),
    "roles": ("角色", "roles"),
    "short_name": ("简称", "text"),
    "kind": ("单位性质", "text"),
}

# The same key read differently in one action's entry: (action, key) -> (label, kind).
ACTION_FIELDS = {
    ("record.start", "date"): ("检查日期", "date"),
    ("record.start", "inspectors"): ("检查人员", "inspectors"),
    ("opinion.edit", "deadline"): ("改正期限", "date"),
    ("opinion.follow_up", "date"): ("复查日期", "date"),
    ("opinion.follow_up", "result"): ("复查结果", "text"),
    ("opinion.follow_up", "note"): ("复查情况", "text"),
    ("opinion.issue", "number"): ("文书编号", "text"),
    ("opinion.void", "number"): ("文书编号", "text"),
    ("opinion.print", "number"): ("文书编号", "text"),
    ("opinion.reprint", "number"): ("文书编号", "text"),
    ("opinion.issue", "sha256"): ("文书内容哈希", "hash"),
    ("summary.submit", "number"): ("版次", "text"),
    ("task.adhoc", "institution"): ("检查对象", "text"),
    ("recusal.create", "name"): ("单位名称", "text"),
    ("recusal.create", "reason"): ("回避理由", "text"),
    ("recusal.delete", "reason"): ("回避理由", "text"),
    ("draw.swap", "reason"): ("调换理由", "text"),
    ("draw.discard", "seed"): ("随机种子", "text"),
    ("task.import", "row"): ("清单行", "row"),
    ("institution.create", "version"): ("修改次数", "count"),
    ("institution.update", "version"): ("修改次数", "count"),
    ("institution.edit", "version"): ("修改次数", "count"),
    ("inspector.create", "version"): ("修改次数", "count"),
    ("inspector.update", "version"): ("修改次数", "count"),
    ("institution.create", "name"): ("单位名称", "text"),
    ("institution.update", "name"): ("单位名称", "text"),
    ("inspector.create", "name"): ("姓名", "text"),
    ("inspector.update", "name"): ("姓名", "text"),
    ("user.create", "name"): ("姓名", "text"),
    ("unit.create", "kind"): ("单位性质", "text"),
    ("login.unlock", "kind"): ("限制对象", "text"),
    ("login.unlock", "key"): ("账号或地址", "text"),
    ("login.unlock", "failures"): ("失败次数", "count"),
    ("user.password", "ended_sessions"): ("结束的其他会话", "count"),
    ("institution.create", "status"): ("经营状态", "text"),
    ("institution.update", "status"): ("经营状态", "text"),
}

# Actions whose first entry lists only what was decided: a new 处理决定 names the measures taken,
# not the dozen it did not take (a later change still shows every field that changed).
SPARSE_ACTIONS = {"handling.save"}

# tasklist.mapping stores {field: column header}: each field is read as "the column of …".
TASKLIST_COLUMNS = {
    "name": "单位名称", "credit_code": "统一社会信用代码", "address": "地址", "category": "类别",
    "tier": "抽查层级", "inspectors": "执法人员", "deadline": "完成时限",
}

# tasklist.resolve: the action taken on a row of an upper platform's list.
RESOLVE_ACTIONS = {
    "link": "关联名录库中的单位", "create": "新建单位", "skip": "排除此行", "category": "指定类别",
    "tier": "指定抽查层级", "deadline": "指定完成时限", "inspectors": "指定执法人员", "undo": "撤销对该行的处理",
}
RESOLUTION_FIELDS = {"unit": ("关联单位", "institution")}

RESULTS = {"pass": "合格", "fail": "不合格", "na": "合理缺项"}

# The plan's tier keys when the plan itself is gone from forms/ (a plan names its own tiers).
TIERS = {"national": "国家随机抽查", "city": "市级随机抽查", "province": "省级随机抽查", "county": "县级随机抽查",
         "default": "随机抽查"}

ROLES = {"inspector": "监督员", "reviewer": "审核人（科室负责人）", "head": "单位负责人", "admin": "管理员"}

SYSTEM_ACTOR = "系统（命令行或自动任务）"


def is_key(text):
    """True for an English identifier (a key a person should never read)."""
    return isinstance(text, str) and text.isascii() and any(c.isalpha() for c in text)


def action_label(action):
    """The Chinese name of an action; an unknown one says so beside its key (and is logged)."""
    if action in ACTIONS:
        return ACTIONS[action]
    _warn("action", action)
    entity = ENTITIES.get(action.split(".", 1)[0])
    return f"未登记的操作（{entity + '：' if entity else ''}{action}）"


def entity_label(entity):
    if entity in ENTITIES:
        return ENTITIES[entity]
    _warn("entity", entity)
    return f"未登记的对象（{entity}）"


def field(action, key):
    """(label, kind) of a field of an action's entry."""
    if (action, key) in ACTION_FIELDS:
        return ACTION_FIELDS[(action, key)]
    if action == "tasklist.mapping" and key in TASKLIST_COLUMNS:
        return f"“{TASKLIST_COLUMNS[key]}”所在列", "text"
    if key in FIELDS:
        return FIELDS[key]
    if not is_key(key):
        return key, "text"  # already in Chinese (older entries and tests write such keys)
    _warn("field", key)
    return f"未登记的字段（{key}）", "text"


# Reading order: what the entry is about first, then its details, the reason and note last.
_FIRST = ["row", "action", "item", "number", "name", "subject", "record", "record_id", "institution", "institution_id",
          "plan", "version", "area", "category", "tier", "status", "result", "finding"]
_LAST = ["reason", "note"]
_ORDER = {key: i for i, key in enumerate(dict.fromkeys(
    _FIRST + list(TASKLIST_COLUMNS) + [k for k in FIELDS if k not in _LAST] + _LAST))}


def ordered(action, keys):
    """Keys in the order a person reads them (the order of FIELDS: what, then details)."""
    last = len(_ORDER) + 1
    return sorted(keys, key=lambda k: last if ACTION_FIELDS.get((action, k), ("",))[0] == "修改次数" else _ORDER.get(k, len(_ORDER)))


def _warn(what, key):
    from flask import current_app, has_app_context

    if has_app_context():
        current_app.logger.warning("审计日志：%s “%s” 没有中文名称，请补在 webapp/audit/labels.py", what, key)
