"""Monthly work plans (月度计划): plan items, progress, the monthly report and its review."""

from pathlib import Path

from portal.apps import Manifest, PageDef, ReportDef

MANIFEST = Manifest(
    code="plans",
    area="mp",
    title_zh="工作计划",
    title_en="Work plans",
    order=40,
    specs=("portal.programmes.plans.specs",),
    pages=(
        PageDef(
            "plans",
            "pages/plans.py",
            "nav.plans",
            ":material/event_note:",
            "nav.section.programmes",
            url_path="plans",
            order=40,
        ),
    ),
    indicators="portal.programmes.plans.indicators:TEMPLATES",
    demo="portal.programmes.plans.demo:load",
    reports=(
        ReportDef(
            "month",
            "cli.help.report_month",
            "portal.programmes.plans.reports:build_report",
            period_kind="month",
            period_help_key="cli.help.report_month_period",
        ),
        ReportDef(
            "year",
            "cli.help.report_year",
            "portal.programmes.plans.reports:build_report",
            period_kind="year",
            period_help_key="cli.help.report_year_period",
        ),
    ),
    locales=Path(__file__).parent / "locales",
    home="portal.programmes.plans.home:todo",
    overview="portal.programmes.plans.home:overview",
    figures=(("plans.reports_on_time", "portal.programmes.plans.figures:on_time_figure"),),
)
