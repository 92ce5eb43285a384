"""Demo data: a fictional county (示范县) with its health offices, townships, villages, a
school and one account per role, so the portal can be tried and shown without real data.

Everything is written through the services as the SYSTEM actor, so the demo rows carry
audit entries like any other change, and in one transaction, so a failure leaves the
database as empty as it was.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from db.engine import transaction
from db.models import OrgUnit
from portal import apps, clock
from portal.errors import PortalError
from portal.metrics import library as indicator_library
from portal.org import themedays, users
from portal.org import units as orgunits
from portal.org.scope import SYSTEM

DEMO_PASSWORD = "demo12345"  # noqa: S105 - the published demo password (README, login banner)
PRODUCT_ROUNDS = 12  # bcrypt cost of real accounts
FAST_ROUNDS = 4  # tests only: 12 rounds for nine accounts would dominate the test run


# Some units keep up better than others, so the dashboards have greens and reds.
DILIGENCE = {"cg": 1.0, "dg": 0.9, "xh": 0.75, "ns": 0.6, "bp": 0.45, "qs": 0.85, "zx1": 0.9, "jds": 0.95}


class DatabaseNotEmpty(PortalError):
    """Demo data goes only into an empty database, so it never mixes with real records."""

    key = "cli.demo_not_empty"


@dataclass(frozen=True)
class Village:
    code: str
    name_zh: str
    name_en: str
    resident_base: int


@dataclass(frozen=True)
class Township:
    code: str
    name_zh: str  # the township health centre stands for its township in the tree
    name_en: str
    resident_base: int
    trend: float  # yearly change: the county seat grows, the hill townships shrink
    villages: tuple[Village, ...] = field(default_factory=tuple)


@dataclass(frozen=True)
class SchoolClass:
    code: str
    name_zh: str
    name_en: str
    students: tuple[int, int]  # last year, this year


@dataclass(frozen=True)
class DemoUser:
    username: str
    display_name: str
    role: str
    unit_code: str


COUNTY = ("county", "示范县卫生健康局", "Demo County Health Bureau")
OFFICES = (
    ("jds", "示范县卫生监督所", "Demo County Health Supervision Office", "supervision"),
    ("cdc", "示范县疾病预防控制中心", "Demo County CDC", "cdc"),
)

TOWNSHIPS: tuple[Township, ...] = (
    Township(
        "cg",
        "城关镇卫生院",
        "Chengguan Town Health Centre",
        43800,
        0.011,
        (
            Village("cg01", "李家村卫生室", "Lijia Village Clinic", 3120),
            Village("cg02", "王庄村卫生室", "Wangzhuang Village Clinic", 2460),
            Village("cg03", "河口村卫生室", "Hekou Village Clinic", 1890),
            Village("cg04", "新民村卫生室", "Xinmin Village Clinic", 2750),
        ),
    ),
    Township(
        "dg",
        "东关镇卫生院",
        "Dongguan Town Health Centre",
        28600,
        -0.006,
        (
            Village("dg01", "张家湾村卫生室", "Zhangjiawan Village Clinic", 2210),
            Village("dg02", "柳树村卫生室", "Liushu Village Clinic", 1640),
            Village("dg03", "石桥村卫生室", "Shiqiao Village Clinic", 1380),
        ),
    ),
    Township(
        "xh",
        "西河镇中心卫生院",
        "Xihe Town Central Health Centre",
        36200,
        -0.003,
        (
            Village("xh01", "西河村卫生室", "Xihe Village Clinic", 3240),
            Village("xh02", "马家庄村卫生室", "Majiazhuang Village Clinic", 2080),
            Village("xh03", "杨树沟村卫生室", "Yangshugou Village Clinic", 1170),
            Village("xh04", "前进村卫生室", "Qianjin Village Clinic", 1520),
        ),
    ),
    Township(
        "ns",
        "南山乡卫生院",
        "Nanshan Township Health Centre",
        16400,
        -0.014,
        (
            Village("ns01", "南山村卫生室", "Nanshan Village Clinic", 1460),
            Village("ns02", "上坪村卫生室", "Shangping Village Clinic", 980),
            Village("ns03", "黄土岭村卫生室", "Huangtuling Village Clinic", 860),
        ),
    ),
    Township(
        "bp",
        "北坡乡卫生院",
        "Beipo Township Health Centre",
        15900,
        -0.016,
        (
            Village("bp01", "北坡村卫生室", "Beipo Village Clinic", 1530),
            Village("bp02", "红星村卫生室", "Hongxing Village Clinic", 1120),
            Village("bp03", "刘家沟村卫生室", "Liujiagou Village Clinic", 940),
        ),
    ),
    Township(
        "qs",
        "清水镇卫生院",
        "Qingshui Town Health Centre",
        22700,
        -0.008,
        (
            Village("qs01", "清水村卫生室", "Qingshui Village Clinic", 2390),
            Village("qs02", "白杨村卫生室", "Baiyang Village Clinic", 1710),
            Village("qs03", "桃园村卫生室", "Taoyuan Village Clinic", 1260),
        ),
    ),
)

SCHOOL = ("zx1", "示范县第一中学", "Demo County No. 1 Middle School")
CLASSES: tuple[SchoolClass, ...] = (
    SchoolClass("zx1-c7-1", "初一(1)班", "Grade 7 Class 1", (52, 50)),
    SchoolClass("zx1-c7-2", "初一(2)班", "Grade 7 Class 2", (50, 51)),
    SchoolClass("zx1-c8-1", "初二(1)班", "Grade 8 Class 1", (48, 52)),
    SchoolClass("zx1-c8-2", "初二(2)班", "Grade 8 Class 2", (51, 49)),
    SchoolClass("zx1-c9-1", "初三(1)班", "Grade 9 Class 1", (47, 48)),
    SchoolClass("zx1-c9-2", "初三(2)班", "Grade 9 Class 2", (49, 50)),
)


@dataclass
class DemoCounty:
    """What every area's demo loader gets: the open session, the units by code, the
    county's shape, the day the demo runs up to, and how diligent each unit is."""

    session: Session
    ids: dict[str, int]
    townships: tuple[Township, ...]
    school: str
    classes: tuple[SchoolClass, ...]
    today: dt.date
    diligence: dict[str, float]


# One account per role (the usernames the demo banner and the docs refer to), plus a few
# below the county so scoping can be shown: a township head, a village and a school user.
USERS: tuple[DemoUser, ...] = (
    DemoUser("admin", "王建国", "admin", "county"),
    DemoUser("head", "李秀英", "head", "county"),
    DemoUser("trainer", "张伟", "trainer", "cdc"),
    DemoUser("inspector", "刘洋", "inspector", SCHOOL[0]),  # the school's 检查评比小组: its classes are inspected
    DemoUser("staff", "陈静", "staff", "cg"),
    DemoUser("viewer", "赵敏", "viewer", "county"),
    DemoUser("dg_head", "孙志强", "head", "dg"),
    DemoUser("ljc_staff", "周玉兰", "staff", "cg01"),
    DemoUser("zx1_staff", "吴丽华", "staff", "zx1"),
    DemoUser("jds_staff", "郑明", "staff", "jds"),
)


def is_empty(engine: Engine) -> bool:
    """True when the database has no org units (the demo's only precondition)."""
    with transaction(engine) as session:
        return _is_empty(session)


def _is_empty(session: Session) -> bool:
    return session.scalar(select(OrgUnit.id).limit(1)) is None


def _resident(base: int, trend: float) -> tuple[int, int]:
    """2025 and 2026 figures; rounded to tens as statistics offices report them."""
    return base, int(round(base * (1 + trend), -1))


def load_demo(engine: Engine, fast: bool = False, today: dt.date | None = None) -> dict[str, int]:
    """Load the demo county into an empty database; returns how many rows of each kind.

    Raises DatabaseNotEmpty (nothing written) when any org unit exists already.
    """
    with transaction(engine) as session:
        # Checked inside the same transaction as the writes, so two loaders racing each
        # other collide on the unique codes instead of both passing the check.
        if not _is_empty(session):
            raise DatabaseNotEmpty()
        loader = _Loader(session, FAST_ROUNDS if fast else PRODUCT_ROUNDS, today or clock.today())
        loader.load()
        return loader.counts


class _Loader:
    """Writes the demo rows through the services, remembering unit ids by code."""

    def __init__(self, session: Session, rounds: int, today: dt.date) -> None:
        self.session = session
        self.today = today
        self.rounds = rounds
        self.ids: dict[str, int] = {}
        self.counts: dict[str, int] = {
            "org_units": 0,
            "populations": 0,
            "users": 0,
            "townships": 0,
            "village_clinics": 0,
            "classes": 0,
        }

    def load(self) -> None:
        self._unit(COUNTY[0], COUNTY[1], COUNTY[2], "bureau", None)
        for code, zh, en, type_ in OFFICES:
            self._unit(code, zh, en, type_, COUNTY[0])
        county_totals = [0, 0]
        for township in TOWNSHIPS:
            figures = self._township(township)
            county_totals = [a + b for a, b in zip(county_totals, figures)]
        # The county is the sum of its townships, so dashboards add up.
        self._population(COUNTY[0], "resident", tuple(county_totals))
        self._school()
        for user in USERS:
            self._user(user)
        themedays.ensure_builtin(self.session)
        indicator_library.ensure_builtin(self.session)
        county = DemoCounty(self.session, self.ids, TOWNSHIPS, SCHOOL[0], CLASSES, self.today, DILIGENCE)
        for manifest in apps.manifests():
            if manifest.demo:
                self.counts.update(apps.loader(manifest.demo)(county))

    def _township(self, township: Township) -> tuple[int, int]:
        self._unit(township.code, township.name_zh, township.name_en, "township_hc", COUNTY[0])
        self.counts["townships"] += 1
        figures = _resident(township.resident_base, township.trend)
        self._population(township.code, "resident", figures)
        for village in township.villages:
            self._unit(village.code, village.name_zh, village.name_en, "village_clinic", township.code)
            self.counts["village_clinics"] += 1
            self._population(village.code, "resident", _resident(village.resident_base, township.trend))
        return figures

    def _school(self) -> None:
        self._unit(SCHOOL[0], SCHOOL[1], SCHOOL[2], "school", COUNTY[0])
        totals = [0, 0]
        for school_class in CLASSES:
            self._unit(school_class.code, school_class.name_zh, school_class.name_en, "class", SCHOOL[0])
            self.counts["classes"] += 1
            self._population(school_class.code, "students", school_class.students)
            totals = [a + b for a, b in zip(totals, school_class.students)]
        self._population(SCHOOL[0], "students", tuple(totals))

    def _unit(self, code: str, name_zh: str, name_en: str, type_: str, parent_code: str | None) -> None:
        unit = orgunits.create(
            self.session,
            SYSTEM,
            {
                "code": code,
                "name_zh": name_zh,
                "name_en": name_en,
                "type": type_,
                "parent_id": self.ids[parent_code] if parent_code else None,
            },
        )
        self.ids[code] = unit.id
        self.counts["org_units"] += 1

    def _population(self, code: str, kind: str, values: tuple[int, ...]) -> None:
        years = (self.today.year - 1, self.today.year)  # last year's figures and this year's
        for year, value in zip(years, values, strict=True):
            orgunits.set_population(self.session, SYSTEM, self.ids[code], year, kind, int(value))
            self.counts["populations"] += 1

    def _user(self, user: DemoUser) -> None:
        users.create(
            self.session,
            SYSTEM,
            {
                "username": user.username,
                "display_name": user.display_name,
                "role": user.role,
                "org_unit_id": self.ids[user.unit_code],
                "password": DEMO_PASSWORD,
                "bcrypt_rounds": self.rounds,
            },
        )
        self.counts["users"] += 1
