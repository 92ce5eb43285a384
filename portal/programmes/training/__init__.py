"""Training (培训): programmes, sessions, rosters, attendance, scores and hours."""

from pathlib import Path

from portal.apps import Manifest, PageDef, ReportDef

MANIFEST = Manifest(
    code="training",
    area="tr",
    title_zh="培训",
    title_en="Training",
    order=20,
    specs=("portal.programmes.training.specs",),
    pages=(
        PageDef(
            "training",
            "pages/training.py",
            "nav.training",
            ":material/school:",
            "nav.section.programmes",
            url_path="training",
            order=20,
        ),
        PageDef(
            "signin",
            "pages/signin.py",
            "nav.signin",
            ":material/how_to_reg:",
            "nav.section.programmes",
            roles=frozenset(),  # in nobody's menu: trainees reach it by the trainer's link
            url_path="signin",
            order=21,
            public=True,
        ),
    ),
    indicators="portal.programmes.training.indicators:TEMPLATES",
    demo="portal.programmes.training.demo:load",
    reports=(
        ReportDef(
            "signin-sheet",
            "cli.help.signin_sheet",
            "portal.programmes.training.reports:build_signin",
            subject="record",
            id_option="--session",
        ),
        ReportDef(
            "training-summary",
            "cli.help.training_summary",
            "portal.programmes.training.reports:build_summary",
            subject="record",
            id_option="--session",
        ),
        ReportDef(
            "certificate-list",
            "cli.help.certificate_list",
            "portal.programmes.training.reports:build_certificates",
            formats=("xlsx",),
            subject="record",
            id_option="--session",
        ),
    ),
    locales=Path(__file__).parent / "locales",
    home="portal.programmes.training.home:todo",
)
