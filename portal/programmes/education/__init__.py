"""Health education (健康教育): activities against the yearly targets and the theme days."""

from pathlib import Path

from portal.apps import Manifest, PageDef, ReportDef

MANIFEST = Manifest(
    code="education",
    area="he",
    title_zh="健康教育",
    title_en="Health education",
    order=10,
    specs=("portal.programmes.education.specs",),
    pages=(
        PageDef(
            "education",
            "pages/education.py",
            "nav.education",
            ":material/campaign:",
            "nav.section.programmes",
            url_path="education",
            order=10,
        ),
    ),
    indicators="portal.programmes.education.indicators:TEMPLATES",
    demo="portal.programmes.education.demo:load",
    home="portal.programmes.education.home:todo",
    locales=Path(__file__).parent / "locales",
    reports=(
        ReportDef(
            "campaign",
            "cli.help.report_campaign",
            "portal.programmes.education.summary:build",
            subject="record",
        ),
    ),
    figures=(
        ("education.campaign_coverage", "portal.programmes.education.figures:coverage_figure"),
        ("education.campaign_evidence", "portal.programmes.education.figures:evidence_figure"),
        ("education.campaign_reach", "portal.programmes.education.figures:reach_figure"),
    ),
)
