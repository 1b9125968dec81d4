"""Demo data for `flask --app webapp demo`: one city (乌鲁木齐市) with three districts,
users of every role and a few hundred institutions over every category the seed plans name.

Deterministic (fixed random seed) so the README's logins and figures stay true.
"""
import random

from .db import transaction
from .org.models import Area, Role, Unit, User
from .registers import creditcode
from .registers.models import Inspector, Institution, InstitutionKind, InstitutionService, Recusal

DEMO_PASSWORD = "suijian2026"

DISTRICTS = [("650102", "天山区", "天山"), ("650103", "沙依巴克区", "沙区"), ("650104", "新市区", "新市")]

# (username, name, unit key, roles): unit key "city" or a district code.
USERS = [
    ("admin", "王建国", "city", [Role.ADMIN]),
    ("city_shr", "李秀兰", "city", [Role.REVIEWER]),
    ("city_fzr", "张志强", "city", [Role.HEAD]),
    ("ts_jdy1", "刘洋", "650102", [Role.INSPECTOR]),
    ("ts_jdy2", "陈静", "650102", [Role.INSPECTOR]),
    ("ts_jdy3", "阿不都热依木", "650102", [Role.INSPECTOR]),
    ("ts_shr", "赵敏", "650102", [Role.REVIEWER, Role.INSPECTOR]),
    ("ts_fzr", "周海燕", "650102", [Role.HEAD]),
    ("sy_jdy1", "孙磊", "650103", [Role.INSPECTOR]),
    ("sy_jdy2", "古丽娜尔", "650103", [Role.INSPECTOR]),
    ("sy_shr", "马俊", "650103", [Role.REVIEWER]),
    ("sy_fzr", "何平", "650103", [Role.HEAD]),
    ("xs_jdy1", "杨帆", "650104", [Role.INSPECTOR]),
    ("xs_jdy2", "吴娟", "650104", [Role.INSPECTOR]),
    ("xs_shr", "郑凯", "650104", [Role.REVIEWER]),
    ("xs_fzr", "徐丽", "650104", [Role.HEAD]),
]

STREETS = ["胜利路", "解放南路", "东门", "新华南路", "团结路", "和平路", "幸福路", "燕儿窝", "黑甲山", "红雁池",
           "长江路", "西山", "雅玛里克山", "炉院街", "仓房沟", "北京路", "二工", "三工", "南纬路", "北站"]
TOWNS = ["安宁渠", "青格达湖", "二道湾", "地窝堡", "石人子沟"]
SURNAMES = "王李张刘陈杨赵黄周吴徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾萧田董潘袁蔡蒋余杜叶程苏魏吕丁任沈姚卢"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰萍红建国志海燕辉鹏飞雪梅"

# kind -> (count per district, name maker, credit-code prefix, extra kinds, services)
PER_DISTRICT = {
    "hospital": (6, lambda r, d, i: f"{d}第{'一二三四五六七八'[i]}人民医院" if i < 2 else f"{d}{r.choice(STREETS)}{r.choice(['综合', '仁爱', '康复', '中医', '中西医结合', '骨科'])}医院", "12", (),
                 ("blood_use", "narcotics", "gene_amp", "restricted_tech", "internet")),
    "mch": (1, lambda r, d, i: f"{d}妇幼保健院", "12", (), ("prenatal_screening", "abortion", "midwifery", "birth_cert")),
    "chc": (5, lambda r, d, i: f"{d}{STREETS[i * 3 % len(STREETS)]}街道社区卫生服务中心", "12", (), ()),
    "chs": (8, lambda r, d, i: f"{d}{STREETS[(i * 7 + 1) % len(STREETS)]}社区卫生服务站", "52", (), ()),
    "thc": (2, lambda r, d, i: f"{d}{TOWNS[i % len(TOWNS)]}镇卫生院", "12", (), ()),
    "village": (12, lambda r, d, i: f"{d}{TOWNS[i % len(TOWNS)]}镇{'东西南北中上下前后'[i % 9]}{i + 1}村卫生室", "52", (), ()),
    "clinic": (28, lambda r, d, i: f"{d}{r.choice(SURNAMES)}{r.choice(GIVEN)}{r.choice(['口腔', '中医', '内科', '儿科', '眼科', '皮肤科'])}诊所", "92", (), ()),
    "other_med": (7, lambda r, d, i: f"{d}{r.choice(['康健', '仁和', '博爱', '天佑', '安康', '同济'])}{r.choice(['门诊部', '医学检验实验室', '医学影像诊断中心', '血液透析中心'])}", "91", (), ()),
    "mch_other": (3, lambda r, d, i: f"{d}{r.choice(['玛丽亚', '美好', '安琪儿', '和美'])}妇产医院", "91", ("hospital",), ("prenatal_screening", "abortion", "midwifery")),
    "cosmetic": (6, lambda r, d, i: f"{d}{r.choice(['伊美', '悦丽', '韩美', '芙蓉', '丽人', '星颜'])}医疗美容{r.choice(['诊所', '门诊部', '医院'])}", "91", (), ("cosmetic_surgery",)),
}

CITY_LEVEL = [
    ("hospital", "乌鲁木齐市第一人民医院", ("cosmetic_dept",), ("blood_use", "narcotics", "gene_amp", "restricted_tech", "research", "internet", "cosmetic_surgery", "foreign_doctors")),
    ("hospital", "乌鲁木齐市中医医院", ("cosmetic_dept",), ("blood_use", "narcotics", "cosmetic_surgery")),
    ("psych", "乌鲁木齐市第四人民医院（精神卫生中心）", ("hospital",), ("narcotics",)),
    ("mch", "乌鲁木齐市妇幼保健院", ("hospital",), ("prenatal_screening", "prenatal_diagnosis", "nipt", "abortion", "midwifery", "birth_cert", "art_service")),
    ("blood_general", "乌鲁木齐市血液中心", (), ()),
    ("blood_special", "新疆脐带血造血干细胞库", (), ("cord_blood",)),
    ("plasma", "乌鲁木齐天山单采血浆站", (), ()),
    ("plasma", "乌鲁木齐米东单采血浆站", (), ()),
    ("art", "乌鲁木齐市第一人民医院生殖医学中心", ("hospital",), ("art_service",)),
    ("art", "新疆天山生殖专科医院", (), ("art_service",)),
    ("art", "乌鲁木齐和美妇产医院辅助生殖中心", ("mch_other",), ("art_service", "abortion")),
    ("sperm_bank", "新疆人类精子库", (), ()),
    ("other_org", "乌鲁木齐好孕健康咨询有限公司", (), ()),
    ("other_org", "新疆安心母婴服务有限公司", (), ()),
]


def is_empty():
    return not User.select().exists()


def _credit_code(r, prefix, area_code):
    org = "".join(r.choice(creditcode.ALPHABET[:10] + "ABCDEFGHJKLMNPQRTUWXY") for _ in range(9))
    return creditcode.complete(prefix + area_code + org)


def _person(r):
    return r.choice(SURNAMES) + "".join(r.choice(GIVEN) for _ in range(r.choice((1, 2))))


def _institution(r, seen, name, area, kinds, services, prefix="12"):
    code = _credit_code(r, prefix, area.code)
    while code in seen:
        code = _credit_code(r, prefix, area.code)
    seen.add(code)
    inst = Institution.create(
        name=name, credit_code=code, area=area,
        license_no=f"PDY{r.randrange(10**7, 10**8)}{area.code}{r.randrange(10**5):05d}",
        address=f"{area.parent.name if area.parent else ''}{area.name}{r.choice(STREETS)}{r.randrange(1, 999)}号",
        legal_rep=_person(r), phone=f"0991-{r.randrange(2000000, 8999999)}",
        status="停业" if r.random() < 0.03 else "在业",
    )
    InstitutionKind.insert_many([(inst.id, k) for k in dict.fromkeys(kinds)], fields=[InstitutionKind.institution, InstitutionKind.kind]).execute()
    if services:
        InstitutionService.insert_many([(inst.id, s) for s in dict.fromkeys(services)], fields=[InstitutionService.institution, InstitutionService.service]).execute()
    return inst


def load():
    """Fill an empty database; return counts by what was made."""
    r = random.Random(2026)
    with transaction():
        province = Area.make("650000", "新疆维吾尔自治区")
        city = Area.make("650100", "乌鲁木齐市", province)
        districts = {code: Area.make(code, name, city) for code, name, _ in DISTRICTS}
        units = {"city": Unit.create(name="乌鲁木齐市卫生监督所", short_name="乌", kind="卫生监督所", area=city)}
        for code, name, short in DISTRICTS:
            units[code] = Unit.create(name=f"乌鲁木齐市{name}卫生监督所", short_name=short, kind="卫生监督所", area=districts[code])
        Unit.create(name="新疆维吾尔自治区卫生健康委员会", short_name="新", kind="卫生健康委员会", area=province)
        for username, name, unit_key, roles in USERS:
            user = User(username=username, name=name, unit=units[unit_key], phone=f"1390991{r.randrange(1000, 9999)}", is_demo=True)
            user.set_password(DEMO_PASSWORD)
            user.save()
            user.grant(*roles)

        # 执法检查人员名录库: every inspector account has its register entry, plus officers
        # without an account (they are drawn and named on documents, but do not sign in).
        n = 0
        for user in User.select().join(Unit).order_by(User.id):
            if user.has_role(Role.INSPECTOR):
                n += 1
                Inspector.create(name=user.name, cert_no=f"{user.unit.area.code}{n:05d}", unit=user.unit, user=user,
                                 specialties="医疗,母婴,血液" if n % 2 else "医疗,医美,辅助生殖")
        for code, dname, _ in DISTRICTS:
            for k in range(3):
                n += 1
                Inspector.create(name=_person(r), cert_no=f"{code}{n:05d}", unit=units[code], specialties="医疗,母婴")
        n += 1
        Inspector.create(name="退休的老李", cert_no=f"650100{n:05d}", unit=units["city"], active=False)

        seen = set()
        count = 0
        for code, dname, _ in DISTRICTS:
            area = districts[code]
            for kind, (n, make_name, prefix, extra, services) in PER_DISTRICT.items():
                names = set()
                for i in range(n):
                    name = make_name(r, dname, i)
                    if name in names:
                        name = f"{name[:-2]}{i + 1}{name[-2:]}"
                    names.add(name)
                    kinds = (kind,) + extra
                    if kind == "hospital" and i in (2, 4):
                        kinds += ("cosmetic_dept",)  # hospitals with a 医疗美容科室
                    chosen = tuple(s for s in services if r.random() < 0.7)
                    _institution(r, seen, name, area, kinds, chosen, prefix)
                    count += 1
        for i, (kind, name, extra, services) in enumerate(CITY_LEVEL):
            area = list(districts.values())[i % 3]
            _institution(r, seen, name, area, (kind,) + extra, services, "12" if kind not in ("other_org",) else "91")
            count += 1
        # a declared conflict of interest (回避): 陈静's relative works at this hospital
        Recusal.create(inspector=Inspector.get(Inspector.name == "陈静"),
                       institution=Institution.get(Institution.name == "天山区第一人民医院"), reason="近亲属在该院任职")
    summary = {"地区": Area.select().count(), "单位": Unit.select().count(), "用户": User.select().count(),
               "检查对象": count, "执法人员": Inspector.select().count()}
    # Each feature adds its own demo data on top of the previous ones, in this order.
    import importlib

    for step in STEPS:
        with transaction():
            summary.update(importlib.import_module(f"webapp.{step}.demo").load(r) or {})
    return summary


# Feature demo steps (webapp/<step>/demo.py, each `load(rng) -> {label: count}`), in order.
STEPS: list[str] = ["draw", "tasklist", "inspection", "review", "reports", "documents"]
