"""Sanitation (爱国卫生): campaigns, zones, scored inspections, rectifications and rankings."""

from pathlib import Path

from portal.apps import Manifest, PageDef, ReportDef

MANIFEST = Manifest(
    code="sanitation",
    area="san",
    title_zh="爱国卫生",
    title_en="Sanitation",
    order=30,
    specs=("portal.programmes.sanitation.specs",),
    pages=(
        PageDef(
            "sanitation",
            "pages/sanitation.py",
            "nav.sanitation",
            ":material/cleaning_services:",
            "nav.section.programmes",
            url_path="sanitation",
            order=30,
        ),
        PageDef(
            "sanitation_results",
            "pages/sanitation_results.py",
            "nav.sanitation_results",
            ":material/campaign:",
            "nav.section.programmes",
            url_path="sanitation_results",  # the file's name: a freshly started server serves it by name
            order=31,
            public=True,
        ),
    ),
    indicators="portal.programmes.sanitation.indicators:TEMPLATES",
    demo="portal.programmes.sanitation.demo:load",
    reports=(
        ReportDef(
            "rectification-notice",
            "cli.help.rectification_notice",
            "portal.programmes.sanitation.reports:build_notice",
            formats=("docx",),
            subject="record",
            id_option="--inspection",
        ),
        ReportDef(
            "sanitation-ranking",
            "cli.help.sanitation_ranking",
            "portal.programmes.sanitation.reports:build_ranking",
            subject="record",
            id_option="--campaign",
            switches=(("grouped", "cli.help.sanitation_grouped"),),
        ),
    ),
    locales=Path(__file__).parent / "locales",
    home="portal.programmes.sanitation.home:todo",
    figures=(
        ("sanitation.inspections_planned", "portal.programmes.sanitation.figures:planned_figure"),
        ("sanitation.rectifications_overdue", "portal.programmes.sanitation.figures:overdue_figure"),
    ),
)
